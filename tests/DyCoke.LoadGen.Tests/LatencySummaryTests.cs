// Percentiles interpolate linearly between the two nearest ranks (numpy's default), and the summary reports
// milliseconds over the sample in any order.
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class LatencySummaryTests
{
    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(50, 2.5)]
    [InlineData(90, 3.7)]
    [InlineData(99, 3.97)]
    [InlineData(100, 4.0)]
    public void Percentile_FourValues_InterpolatesBetweenRanks(double p, double expected)
    {
        Assert.Equal(expected, LatencySummary.Percentile([1.0, 2.0, 3.0, 4.0], p), 12);
    }

    [Fact]
    public void Percentile_OneValue_IsThatValueAtEveryRank()
    {
        Assert.Equal(7.5, LatencySummary.Percentile([7.5], 0));
        Assert.Equal(7.5, LatencySummary.Percentile([7.5], 99));
    }

    [Fact]
    public void Percentile_HundredValues_MatchesTheRankFormula()
    {
        double[] sample = [.. Enumerable.Range(1, 100).Select(i => (double)i)];
        // rank 0.9·99 = 89.1 between the 90th (90) and 91st (91) values.
        Assert.Equal(90.1, LatencySummary.Percentile(sample, 90), 9);
        Assert.Equal(99.01, LatencySummary.Percentile(sample, 99), 9);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void Percentile_OutOfRange_Throws(double p)
    {
        Assert.Throws<ArgumentException>(() => LatencySummary.Percentile([1.0, 2.0], p));
    }

    [Fact]
    public void Percentile_EmptySample_Throws()
    {
        Assert.Throws<ArgumentException>(() => LatencySummary.Percentile([], 50));
    }

    [Fact]
    public void FromSeconds_UnsortedSeconds_SummarisesInMilliseconds()
    {
        var summary = LatencySummary.FromSeconds([0.004, 0.001, 0.003, 0.002]);
        Assert.Equal(4, summary.Count);
        Assert.Equal(2.5, summary.Mean, 9);
        Assert.Equal(2.5, summary.P50, 9);
        Assert.Equal(3.7, summary.P90, 9);
        Assert.Equal(3.97, summary.P99, 9);
        Assert.Equal(1.0, summary.Min, 9);
        Assert.Equal(4.0, summary.Max, 9);
    }

    [Fact]
    public void FromSeconds_Empty_IsTheEmptySummary()
    {
        Assert.Same(LatencySummary.Empty, LatencySummary.FromSeconds([]));
    }
}
