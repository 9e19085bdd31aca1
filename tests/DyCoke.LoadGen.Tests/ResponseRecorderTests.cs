// From SSE payloads to a request's measurements: the role chunk is not the first token, TTFT and the gaps come from
// arrival timestamps, the usage chunk gives the token counts, and an error event or a missing [DONE] fails the request.
using System.Diagnostics;
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class ResponseRecorderTests
{
    private const string Role = """{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"object":"chat.completion.chunk"}""";
    private const string Final = """{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"object":"chat.completion.chunk"}""";
    private const string Usage = """{"id":"c","choices":[],"usage":{"prompt_tokens":766,"completion_tokens":3,"total_tokens":769,"prompt_tokens_details":{"video_tokens":741},"dycoke":{"video_tokens_before_ttm":1569,"video_tokens_after_ttm":741,"mean_kept_video_tokens":222,"decode_steps_pruned":2}}}""";

    private static string Content(string text) =>
        $$"""{"id":"c","choices":[{"index":0,"delta":{"content":"{{text}}"},"finish_reason":null}],"object":"chat.completion.chunk"}""";

    private static long At(long origin, double seconds) => origin + (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void Finish_FullStream_TimesFromContentChunksAndCountsFromUsage()
    {
        long level = 1_000_000, start = At(level, 0.5);
        var recorder = new ResponseRecorder(level, start);
        recorder.Add(StreamChunk.Parse(Role), At(start, 0.1));
        recorder.Add(StreamChunk.Parse(Content("Hel")), At(start, 0.3));
        recorder.Add(StreamChunk.Parse(Content("lo")), At(start, 0.35));
        recorder.Add(StreamChunk.Parse(Content("!")), At(start, 0.45));
        recorder.Add(StreamChunk.Parse(Final), At(start, 0.46));
        recorder.Add(StreamChunk.Parse(Usage), At(start, 0.46));
        recorder.Add(StreamChunk.Parse("[DONE]"), At(start, 0.46));
        var result = recorder.Finish(At(start, 0.47));

        Assert.True(result.Succeeded);
        Assert.Equal(0.3, result.TtftSeconds!.Value, 6);
        Assert.Equal([0.05, 0.1], result.ChunkGapsSeconds.Select(g => Math.Round(g, 6)));
        Assert.Equal(3, result.ContentChunks);
        Assert.Equal(0.5, result.StartSeconds, 6);
        Assert.Equal(0.47, result.E2eSeconds, 6);
        Assert.Equal("length", result.FinishReason);
        Assert.Equal(new UsageInfo(766, 3) { VideoTokens = 741, DyCokeVideoTokensBefore = 1569, DyCokeVideoTokensAfter = 741, DyCokeDecodeStepsPruned = 2 },
            result.Usage);
        Assert.Equal(3, result.OutputTokens);
        Assert.Equal((0.47 - 0.3) / 2, result.TpotSeconds!.Value, 6);
    }

    [Fact]
    public void Finish_ErrorEventThenDone_FailsAsStreamError()
    {
        var recorder = new ResponseRecorder(0, 0);
        recorder.Add(StreamChunk.Parse(Role), 10);
        recorder.Add(StreamChunk.Parse(Content("a")), 20);
        recorder.Add(StreamChunk.Parse("""{"error":{"message":"The request timed out before generation finished.","type":"server_error","param":null,"code":"timeout"}}"""), 30);
        recorder.Add(StreamChunk.Parse("[DONE]"), 30);
        var result = recorder.Finish(40);

        Assert.False(result.Succeeded);
        Assert.Equal("stream_error", result.ErrorKind);
        Assert.Equal("The request timed out before generation finished.", result.ErrorMessage);
    }

    [Fact]
    public void Finish_NoDone_FailsAsIncomplete()
    {
        var recorder = new ResponseRecorder(0, 0);
        recorder.Add(StreamChunk.Parse(Content("a")), 20);
        var result = recorder.Finish(40);
        Assert.Equal("incomplete", result.ErrorKind);
        Assert.Null(result.Usage);
    }

    [Fact]
    public void Finish_NoUsageChunk_OutputTokensFallBackToChunkCount()
    {
        var recorder = new ResponseRecorder(0, 0);
        recorder.Add(StreamChunk.Parse(Content("a")), 20);
        recorder.Add(StreamChunk.Parse(Content("b")), 30);
        recorder.Add(StreamChunk.Done, 31);
        var result = recorder.Finish(31);
        Assert.True(result.Succeeded);
        Assert.Null(result.Usage);
        Assert.Equal(2, result.OutputTokens);
    }

    [Fact]
    public void Parse_UsageNullOnContentChunk_ContentCountedAndNoUsage()
    {
        // OpenAI itself sends "usage": null on every chunk before the last.
        var chunk = StreamChunk.Parse("""{"choices":[{"index":0,"delta":{"content":"héllo"},"finish_reason":null}],"usage":null}""");
        Assert.Equal(5, chunk.ContentLength);
        Assert.Null(chunk.Usage);
        Assert.Null(chunk.Error);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void Parse_NotAJsonObject_ThrowsFormatException(string data)
    {
        Assert.Throws<FormatException>(() => StreamChunk.Parse(data));
    }
}
