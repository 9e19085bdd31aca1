// Builders for engine tests: sequences with given prompt lengths and sampling, without any model behind them.
namespace DyCoke.Engine.Tests;

internal static class TestSequences
{
    private static long s_nextId;

    public static Sequence Create(int promptTokens, int maxTokens = 8, int blockSize = 4) =>
        new(Interlocked.Increment(ref s_nextId), Request(promptTokens, maxTokens), blockSize);

    public static EngineRequest Request(int promptTokens, int maxTokens = 8, SamplingParams? sampling = null) =>
        new($"test-{promptTokens}", Enumerable.Range(1, promptTokens).ToArray(), [], sampling ?? new SamplingParams { MaxTokens = maxTokens });
}
