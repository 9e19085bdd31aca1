// The demo generator: the published SplitMix64 sequence, per-tensor streams, and the moments of its Gaussian samples.
using DyCoke.Model.Demo;
using Xunit;

namespace DyCoke.Model.Tests.Demo;

public sealed class DemoRandomTests
{
    [Fact]
    public void NextUInt64_SeedZero_MatchesSplitMix64ReferenceSequence()
    {
        var rng = new DemoRandom(0);

        // The first outputs of SplitMix64 from state 0, as given with the algorithm's reference implementation.
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, rng.NextUInt64());
    }

    [Fact]
    public void ForTensor_SameSeedAndName_SameStream()
    {
        var a = DemoRandom.ForTensor(42, "image_newline");
        var b = DemoRandom.ForTensor(42, "image_newline");

        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Theory]
    [InlineData(42UL, "image_newline", 43UL, "image_newline")]
    [InlineData(42UL, "image_newline", 42UL, "language_model.model.norm.weight")]
    public void ForTensor_DifferentSeedOrName_DifferentStream(ulong seedA, string nameA, ulong seedB, string nameB)
    {
        var a = DemoRandom.ForTensor(seedA, nameA);
        var b = DemoRandom.ForTensor(seedB, nameB);

        int equal = Enumerable.Range(0, 16).Count(_ => a.NextUInt64() == b.NextUInt64());
        Assert.Equal(0, equal);
    }

    [Fact]
    public void NextGaussian_ManySamples_MeanZeroVarianceOneBounded()
    {
        var rng = new DemoRandom(7);
        const int n = 200_000;
        double sum = 0, sumSq = 0, maxAbs = 0;
        for (int i = 0; i < n; i++)
        {
            double x = rng.NextGaussian();
            sum += x;
            sumSq += x * x;
            maxAbs = Math.Max(maxAbs, Math.Abs(x));
        }
        double mean = sum / n;
        double variance = sumSq / n - mean * mean;

        // Standard error of the mean is 1/sqrt(n) ≈ 0.0022; of the variance about sqrt(2/n) ≈ 0.003.
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.985, 1.015);
        Assert.InRange(maxAbs, 3.0, 6.0);
    }
}
