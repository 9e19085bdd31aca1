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

    // A large vocabulary of random logits: the candidate sets and frequencies must match a full-sort reference.
    [Theory]
    [InlineData(1.0f, 0, 1.0f, 0f)]
    [InlineData(0.7f, 40, 1.0f, 0f)]
    [InlineData(1.0f, 0, 0.9f, 0f)]
    [InlineData(1.3f, 50, 0.8f, 0f)]
    [InlineData(1.0f, 0, 1.0f, 0.05f)]
    [InlineData(0.8f, 0, 0.95f, 0.02f)]
    public void Sample_LargeVocabulary_MatchesAFullSortReference(float temperature, int topK, float topP, float minP)
    {
        const int v = 16_384, draws = 4_000;
        var rng = new Random(11);
        // A peaked head over a long flat tail, as in real next-token distributions.
        var logits = Enumerable.Range(0, v).Select(i => (float)(rng.NextDouble() * 4 + (i % 499 == 0 ? 8 : 0))).ToArray();
        var p = new SamplingParams { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        var expected = ReferenceDistribution(logits, p);

        var sampler = new Sampler();
        var draw = new Random(5);
        var counts = new Dictionary<int, int>();
        for (int i = 0; i < draws; i++)
        {
            int id = sampler.Sample(logits, p, draw, s_noOutput);
            Assert.True(expected.ContainsKey(id), $"id {id} is outside the reference candidate set of {expected.Count}");
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        // Binomial tolerance: 5 standard deviations per id, so the test is deterministic in practice and still catches
        // a wrong cut (a missing or extra id shifts every kept probability).
        foreach (var (id, prob) in expected.Where(e => e.Value > 0.01))
        {
            double sigma = Math.Sqrt(draws * prob * (1 - prob));
            Assert.InRange(counts.GetValueOrDefault(id), draws * prob - 5 * sigma, draws * prob + 5 * sigma);
        }
    }

    // The definition: sort every id by logit (ties by id), keep top-k, the top-p prefix and min-p, renormalise.
    private static Dictionary<int, double> ReferenceDistribution(float[] logits, SamplingParams p)
    {
        var ranked = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
        double max = logits[ranked[0]];
        var weights = ranked.Select(i => Math.Exp((logits[i] - max) / p.Temperature)).ToArray();
        int n = p.TopK > 0 ? Math.Min(p.TopK, ranked.Length) : ranked.Length;
        double total = weights.Take(n).Sum(), running = 0;
        int keep = n;
        if (p.TopP < 1f)
            for (int r = 0; r < n; r++)
            {
                running += weights[r];
                if (running >= p.TopP * total) { keep = r + 1; break; }
            }
        if (p.MinP > 0f)
        {
            int r = 1;
            while (r < keep && weights[r] >= p.MinP) r++;
            keep = r;
        }
        double kept = weights.Take(keep).Sum();
        return Enumerable.Range(0, keep).ToDictionary(r => ranked[r], r => weights[r] / kept);
    }
}
