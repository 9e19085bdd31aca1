// A validated chat request in engine terms, plus what only the HTTP side needs (stream flags, stop strings); owns the
// decoded video frames until the response is done.
using DyCoke.Engine;

namespace DyCoke.Server.Mapping;

/// <summary>The result of <see cref="RequestMapper.MapAsync"/>.</summary>
/// <param name="Engine">What goes to the engine.</param>
/// <param name="StopStrings">Stop strings, matched on the detokenized text.</param>
/// <param name="Stream">Answer as server-sent events.</param>
/// <param name="IncludeUsage">Send the usage chunk (stream_options.include_usage).</param>
/// <param name="VideoTokens">Prompt rows that are video features (newlines included).</param>
public sealed record MappedRequest(EngineRequest Engine, IReadOnlyList<string> StopStrings, bool Stream, bool IncludeUsage, int VideoTokens) : IDisposable
{
    public void Dispose()
    {
        foreach (var video in Engine.Videos) video.Dispose();
    }
}
