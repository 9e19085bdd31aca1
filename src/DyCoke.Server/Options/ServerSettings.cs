// The "Server" section: API keys, body size, shutdown drain.
namespace DyCoke.Server.Options;

/// <summary>HTTP-side settings.</summary>
public sealed record ServerSettings
{
    public const string Section = "Server";

    /// <summary>Accepted bearer keys; empty leaves the API open.</summary>
    public string[] ApiKeys { get; init; } = [];

    /// <summary>Request bodies above this get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 64L << 20;

    /// <summary>How long shutdown lets in-flight streams finish before cutting them.</summary>
    public double DrainSeconds { get; init; } = 30;
}
