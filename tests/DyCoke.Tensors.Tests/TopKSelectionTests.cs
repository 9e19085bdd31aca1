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
