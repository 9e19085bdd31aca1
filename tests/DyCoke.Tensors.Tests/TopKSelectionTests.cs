// The host top-k behind DyCoke's kept-token choice: the same set a full stable sort picks, ties to the lower index.
using Xunit;

namespace DyCoke.Tensors.Tests;

public sealed class TopKSelectionTests
{
    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(7, 3, 1)]
    [InlineData(450, 135, 2)]
    [InlineData(450, 450, 3)]
    [InlineData(6273, 1881, 4)]
    [InlineData(1000, 0, 5)]
    public void IndicesAscending_RandomScoresWithTies_MatchesStableSort(int n, int k, int seed)
    {
        var rng = new Random(seed);
        // Few distinct values, so most of the boundary is ties decided by index.
        float[] scores = Enumerable.Range(0, n).Select(_ => rng.Next(0, 12) / 16f).ToArray();
        int[] expected = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).Order().ToArray();

        Assert.Equal(expected, TopKSelection.IndicesAscending(scores, k));
    }

    [Theory]
    [InlineData(3136, 940, 6)]
    [InlineData(5000, 1, 7)]
    [InlineData(5000, 4999, 8)]
    [InlineData(257, 100, 9)]
    public void IndicesAscending_ContinuousScoresOfEverySignAndScale_MatchesStableSort(int n, int k, int seed)
    {
        var rng = new Random(seed);
        // Full-precision values across many exponents (every radix digit decides somewhere), some repeated exactly,
        // plus infinities, NaN and both zeros.
        float[] scores = Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() - 0.3) * Math.Pow(10, rng.Next(-30, 30)))).ToArray();
        for (int i = 0; i < n / 10; i++) scores[rng.Next(n)] = scores[rng.Next(n)];
        scores[rng.Next(n)] = float.PositiveInfinity;
        scores[rng.Next(n)] = float.NegativeInfinity;
        scores[rng.Next(n)] = float.NaN;
        scores[rng.Next(n)] = -0f;
        scores[rng.Next(n)] = 0f;
        static float Order(float x) => float.IsNaN(x) ? float.PositiveInfinity : x; // NaN ranks first; only the key order matters
        int[] expected = Enumerable.Range(0, n).OrderByDescending(i => float.IsNaN(scores[i])).ThenByDescending(i => Order(scores[i])).ThenBy(i => i).Take(k).Order().ToArray();

        Assert.Equal(expected, TopKSelection.IndicesAscending(scores, k));
    }

    [Fact]
    public void IndicesAscending_NaNAndSignedZeros_NaNFirstAndZerosEqual()
    {
        float[] scores = [0.5f, float.NaN, -0f, 0f, float.PositiveInfinity, -1f];
        Assert.Equal([1, 4], TopKSelection.IndicesAscending(scores, 2));
        Assert.Equal([0, 1, 2, 4], TopKSelection.IndicesAscending(scores, 4)); // −0 at index 2 beats +0 at index 3
    }

    [Fact]
    public void IndicesAscending_KOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TopKSelection.IndicesAscending([1f, 2f], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => TopKSelection.IndicesAscending([1f, 2f], -1));
    }
}
