// Turns --video into the video_url.url the requests carry: URLs go through unchanged, a local file becomes a file://
// URL (the server must list its folder as a file root) or, with --inline, a base64 data: URL read once.
namespace DyCoke.LoadGen;

/// <summary>Resolves the video argument.</summary>
internal static class VideoSource
{
    private static readonly string[] s_urlPrefixes = ["http://", "https://", "file://", "data:"];

    /// <summary>True when <paramref name="text"/> is already a URL the server understands.</summary>
    public static bool IsUrl(string text) => s_urlPrefixes.Any(p => text.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The URL to send for <paramref name="video"/>.</summary>
    /// <exception cref="FileNotFoundException">A local path that does not exist.</exception>
    public static string ToUrl(string video, bool inline)
    {
        ArgumentException.ThrowIfNullOrEmpty(video);
        if (IsUrl(video)) return video;
        string path = Path.GetFullPath(video);
        if (!File.Exists(path)) throw new FileNotFoundException($"--video: no such file '{path}'", path);
        if (!inline) return new Uri(path).AbsoluteUri;
        return $"data:{MimeType(path)};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}";
    }

    /// <summary>A short form of <paramref name="url"/> for reports: data: URLs are not worth repeating in full.</summary>
    public static string Describe(string url) =>
        url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? $"{url[..Math.Max(url.IndexOf(','), 5)]},... ({url.Length} chars)" : url;

    private static string MimeType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => "video/mp4",
        ".webm" => "video/webm",
        ".mkv" => "video/x-matroska",
        ".mov" => "video/quicktime",
        ".avi" => "video/x-msvideo",
        ".gif" => "image/gif",
        _ => "application/octet-stream",
    };
}
