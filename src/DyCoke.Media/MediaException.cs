// The one error type of DyCoke.Media: a Kind, a message the user can act on, the request parameter it concerns and the
// HTTP status the API layer should answer with. Internal detail (ffmpeg's stderr, paths) goes to Diagnostic, never
// into Message.
namespace DyCoke.Media;

/// <summary>Why a video could not be turned into frames.</summary>
public enum MediaErrorKind
{
    /// <summary>The URL is malformed, or a bare path / relative reference instead of a URL.</summary>
    BadUrl,
    /// <summary>The URL scheme is not enabled on this server (or a redirect leads to one).</summary>
    BadScheme,
    /// <summary>A <c>data:</c> URL that is not base64-encoded (HTTP 501, as vLLM).</summary>
    UnsupportedDataUrl,
    /// <summary>The host is, or resolves to, an address the server never fetches from (loopback, private, ...).</summary>
    AddressRefused,
    /// <summary>The host is not on the configured domain allow-list.</summary>
    DomainNotAllowed,
    /// <summary>More redirects than the server follows.</summary>
    TooManyRedirects,
    /// <summary>The remote server could not be reached or answered with an error status.</summary>
    FetchFailed,
    /// <summary><c>file:</c> URLs are disabled (no media roots configured).</summary>
    FileNotAllowed,
    /// <summary>The resolved file lies outside every configured media root.</summary>
    FileOutsideRoots,
    /// <summary>The file under a media root does not exist or is not a regular file.</summary>
    FileNotFound,
    /// <summary>The body is larger than the byte cap (HTTP 413).</summary>
    TooLarge,
    /// <summary>Connecting, downloading or decoding took longer than allowed (HTTP 504).</summary>
    Timeout,
    /// <summary>The bytes are not a video container this server accepts.</summary>
    NotAVideo,
    /// <summary>The container holds no video stream (e.g. audio only).</summary>
    NoVideoStream,
    /// <summary>The video stream cannot be decoded completely (corrupt or truncated).</summary>
    CorruptStream,
    /// <summary>The video is longer (in seconds or frames) than the server accepts.</summary>
    TooLong,
    /// <summary>The frame size is above the server's maximum.</summary>
    ResolutionTooLarge,
    /// <summary>More frames were asked for (or implied by fps × duration) than the server samples.</summary>
    TooManyFrames,
    /// <summary>A sampling fps above the server's maximum.</summary>
    FpsTooHigh,
    /// <summary>A sampling parameter that is not a valid value at all (zero, negative, not finite).</summary>
    InvalidParameter,
    /// <summary>The decode queue is full (HTTP 503, retry later).</summary>
    QueueFull,
}

/// <summary>
/// A media failure with a user-actionable <see cref="Exception.Message"/>. The HTTP layer maps it to
/// <c>{"error":{"message","type","param","code"}}</c> with <see cref="HttpStatus"/>.
/// </summary>
public sealed class MediaException : Exception
{
    /// <summary>Creates the exception; <paramref name="diagnostic"/> is for server logs only.</summary>
    public MediaException(MediaErrorKind kind, string message, string? param, string? diagnostic = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Param = param;
        Diagnostic = diagnostic;
    }

    /// <summary>What went wrong.</summary>
    public MediaErrorKind Kind { get; }

    /// <summary>The request parameter at fault, e.g. <c>video_url.url</c> (see <see cref="MediaParams"/>); null when none is (queue full).</summary>
    public string? Param { get; }

    /// <summary>Details for the server log (process stderr, inner error); never shown to the client.</summary>
    public string? Diagnostic { get; }

    /// <summary>The HTTP status this error maps to: 400, 413 (too large), 501 (non-base64 data URL), 503 (queue full), 504 (timeout).</summary>
    public int HttpStatus => StatusOf(Kind);

    /// <summary>A stable snake_case error code for <c>error.code</c>, e.g. <c>address_refused</c>.</summary>
    public string Code => CodeOf(Kind);

    /// <summary>The HTTP status for <paramref name="kind"/>.</summary>
    public static int StatusOf(MediaErrorKind kind) => kind switch
    {
        MediaErrorKind.TooLarge => 413,
        MediaErrorKind.UnsupportedDataUrl => 501,
        MediaErrorKind.QueueFull => 503,
        MediaErrorKind.Timeout => 504,
        _ => 400,
    };

    /// <summary>The snake_case code for <paramref name="kind"/>.</summary>
    public static string CodeOf(MediaErrorKind kind)
    {
        string name = kind.ToString();
        var code = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) code.Append('_');
                code.Append(char.ToLowerInvariant(c));
            }
            else
            {
                code.Append(c);
            }
        }
        return code.ToString();
    }
}

/// <summary>Parameter names used in <see cref="MediaException.Param"/>; the HTTP layer may prefix them with the message path.</summary>
public static class MediaParams
{
    /// <summary>The video URL of a <c>video_url</c> content part.</summary>
    public const string Url = "video_url.url";

    /// <summary>The requested number of frames.</summary>
    public const string NumFrames = "media_io_kwargs.video.num_frames";

    /// <summary>The requested sampling rate in frames per second.</summary>
    public const string Fps = "media_io_kwargs.video.fps";
}
