// Sampler: greedy, seeded reproducibility, the top-k / top-p / min-p candidate cuts, and penalties.
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class SamplerTests
{
    private static readonly Dictionary<int, int> s_noOutput = [];

    [Fact]
    public void Sample_Greedy_TakesTheFirstMaximum()
    {
        var sampler = new Sampler();
        float[] logits = [0.1f, 3f, -1f, 3f];
        Assert.Equal(1, sampler.Sample(logits, new SamplingParams { Temperature = 0 }, new Random(1), s_noOutput));
    }

    [Fact]
    public void Sample_SameSeed_GivesTheSameTokens()
    {
        var sampler = new Sampler();
        var logits = Enumerable.Range(0, 50).Select(i => MathF.Sin(i)).ToArray();
        var p = new SamplingParams { Temperature = 1.5f };
        var a = new Random(42);
        var b = new Random(42);
        var first = Enumerable.Range(0, 30).Select(_ => sampler.Sample(logits, p, a, s_noOutput)).ToArray();
        var second = Enumerable.Range(0, 30).Select(_ => sampler.Sample(logits, p, b, s_noOutput)).ToArray();
        Assert.Equal(first, second);
        Assert.True(first.Distinct().Count() > 1, "temperature 1.5 over 50 similar logits should not always pick one id");
    }

    [Fact]
    public void Sample_TopK_OnlyPicksAmongTheKBest()
    {
        var sampler = new Sampler();
        float[] logits = [5f, 4f, 3f, 2f, 1f, 0f];
        var p = new SamplingParams { Temperature = 2f, TopK = 2 };
        var rng = new Random(7);
        var picked = Enumerable.Range(0, 200).Select(_ => sampler.Sample(logits, p, rng, s_noOutput)).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, picked);
    }

    [Fact]
    public void Sample_TopP_CutsTheTail()
    {
        var sampler = new Sampler();
        // Probabilities ≈ 0.665, 0.245, 0.090: top_p 0.8 keeps the first two.
        float[] logits = [2f, 1f, 0f];
        var p = new SamplingParams { TopP = 0.8f };
        var rng = new Random(3);
        var picked = Enumerable.Range(0, 300).Select(_ => sampler.Sample(logits, p, rng, s_noOutput)).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, picked);
    }

    [Fact]
    public void Sample_MinP_DropsTokensFarBelowTheBest()
    {
        var sampler = new Sampler();
        float[] logits = [3f, 2.9f, 0f, -1f]; // relative probabilities 1, 0.90, 0.05, 0.02
        var p = new SamplingParams { MinP = 0.5f };
        var rng = new Random(5);
        var picked = Enumerable.Range(0, 300).Select(_ => sampler.Sample(logits, p, rng, s_noOutput)).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, picked);
    }

    [Fact]
    public void Sample_FrequencyPenalty_MovesGreedyAwayFromRepeatedToken()
    {
        var sampler = new Sampler();
        float[] logits = [2f, 1.5f];
        var counts = new Dictionary<int, int> { [0] = 2 };
        var greedy = new SamplingParams { Temperature = 0 };
        Assert.Equal(0, sampler.Sample(logits, greedy, new Random(1), counts));
        Assert.Equal(1, sampler.Sample(logits, greedy with { FrequencyPenalty = 0.5f }, new Random(1), counts)); // 2 − 1.0 < 1.5
        Assert.Equal(1, sampler.Sample(logits, greedy with { PresencePenalty = 0.6f }, new Random(1), counts)); // 1.4 < 1.5
    }
}
