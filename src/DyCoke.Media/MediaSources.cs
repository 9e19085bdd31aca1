// Turns a video URL into a local file for ffprobe/ffmpeg: dispatches on the explicit scheme (a bare path is never a
// file), enforces the scheme allow-list, stages http(s) and data: bytes in a private temporary file that is deleted
// on failure and on Dispose, and points file: URLs at their resolved path under a media root.
namespace DyCoke.Media;

internal sealed class MediaSources : IDisposable
{
    private readonly MediaOptions _options;
    private readonly SafeHttpFetcher _http;

    public MediaSources(MediaOptions options)
    {
        _options = options;
        _http = new SafeHttpFetcher(options);
    }

    /// <summary>The directory where temporary media files are staged.</summary>
    public string TempDirectory => _options.TempDirectory ?? Path.GetTempPath();

    /// <summary>
    /// Fetches or locates <paramref name="url"/>. The caller disposes the result (deleting a staged copy). Throws
    /// <see cref="MediaException"/> for every refusal, <see cref="OperationCanceledException"/> on cancellation.
    /// </summary>
    public async Task<MediaFile> OpenAsync(string url, CancellationToken cancellationToken)
    {
        string scheme = SchemeOf(url) ?? throw new MediaException(MediaErrorKind.BadUrl,
            $"The video URL must be an absolute URL ({EnabledSchemes()}); a bare path or relative reference is not accepted.", MediaParams.Url);
        if (scheme is not ("http" or "https" or "data" or "file") || !_options.IsSchemeAllowed(scheme))
            throw new MediaException(MediaErrorKind.BadScheme,
                $"'{scheme}:' URLs are not accepted here; the video URL must be one of: {EnabledSchemes()}.", MediaParams.Url);

        if (scheme == "file")
        {
            string path = FileUrl.Resolve(url, _options.FileRoots);
            long length = new FileInfo(path).Length;
            // FIFOs, devices and /proc files report size 0; none of them is a video file.
            if (length == 0)
                throw new MediaException(MediaErrorKind.FileNotFound, "The file is empty or not a regular file.", MediaParams.Url, path);
            if (length > _options.MaxBytes)
                throw new MediaException(MediaErrorKind.TooLarge,
                    $"The file is {length} bytes; this server accepts at most {_options.MaxBytes} bytes per video.", MediaParams.Url);
            return MediaFile.Existing(path);
        }

        Uri? uri = null;
        if (scheme != "data" && (!Uri.TryCreate(url, UriKind.Absolute, out uri) || uri.IdnHost.Length == 0))
            throw new MediaException(MediaErrorKind.BadUrl, "The video URL is malformed.", MediaParams.Url);

        MediaFile file = MediaFile.CreateTemporary(TempDirectory);
        try
        {
            await using (FileStream stream = file.OpenWrite())
            {
                if (uri is null) await DataUrl.WriteAsync(url, stream, _options.MaxBytes, cancellationToken);
                else await _http.DownloadAsync(uri, stream, cancellationToken);
            }
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The lower-case RFC 3986 scheme before the first ':', or null when the text does not start with one.</summary>
    internal static string? SchemeOf(string url)
    {
        int colon = url.IndexOf(':');
        if (colon < 1 || !char.IsAsciiLetter(url[0])) return null;
        for (int i = 1; i < colon; i++)
        {
            char c = url[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.')) return null;
        }
        return url[..colon].ToLowerInvariant();
    }

    private string EnabledSchemes()
    {
        var names = new List<string>();
        if (_options.IsSchemeAllowed("https")) names.Add("https://");
        if (_options.IsSchemeAllowed("http")) names.Add("http://");
        if (_options.IsSchemeAllowed("data")) names.Add("data:<mime>;base64,");
        if (_options.IsSchemeAllowed("file") && _options.FileRoots.Count > 0) names.Add("file:///");
        return names.Count == 0 ? "none are enabled" : string.Join(", ", names);
    }

    public void Dispose() => _http.Dispose();
}
