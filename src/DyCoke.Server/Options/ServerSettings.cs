// The "Server" section: API keys, body size, request timeout, shutdown drain.
namespace DyCoke.Server.Options;

/// <summary>HTTP-side settings.</summary>
public sealed record ServerSettings
{
    public const string Section = "Server";

    /// <summary>Accepted bearer keys; empty leaves the API open.</summary>
    public string[] ApiKeys { get; init; } = [];

    /// <summary>Request bodies above this get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 64L << 20;

    /// <summary>Longest a chat request may take from arrival, in seconds; 0 for no limit. A request over it gets 504, or
    /// an error event and [DONE] once streaming began.</summary>
    public double RequestTimeoutSeconds { get; init; }

    /// <summary>How long shutdown lets in-flight streams finish before cutting them.</summary>
    public double DrainSeconds { get; init; } = 30;
}
