// DyCokeOptions: the paper's defaults, range validation naming the offending option, and the keep-count arithmetic.
using DyCoke.Compression;
using Xunit;

namespace DyCoke.Compression.Tests;

public sealed class DyCokeOptionsTests
{
    [Fact]
    public void Default_IsThePaperMainSetting()
    {
        var o = DyCokeOptions.Default;
        Assert.True(o.Enabled);
        Assert.Equal((0.7, 3, 0.7, 0.9, DyCokeMode.Paper), (o.K, o.L, o.P, o.Gate, o.Mode));
        o.Validate();
    }

    [Theory]
    [InlineData(-0.1, 3, 0.7, 0.9, "K")]
    [InlineData(1.5, 3, 0.7, 0.9, "K")]
    [InlineData(double.NaN, 3, 0.7, 0.9, "K")]
    [InlineData(0.7, 0, 0.7, 0.9, "L")]
    [InlineData(0.7, 3, 1.01, 0.9, "P")]
    [InlineData(0.7, 3, 0.7, 1.5, "Gate")]
    public void Validate_OutOfRange_ThrowsNamingTheOption(double k, int l, double p, double gate, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DyCokeOptions { K = k, L = l, P = p, Gate = gate }.Validate());
        Assert.Equal(name, e.ParamName);
    }

    [Theory]
    [InlineData(0.7, 58)]
    [InlineData(0.5, 98)]
    [InlineData(0.3, 137)]
    [InlineData(0.0, 196)]
    [InlineData(1.0, 0)]
    public void KeptPerPrunedFrame_FloorOfOneMinusKTimesN(double k, int expected) =>
        Assert.Equal(expected, new DyCokeOptions { K = k }.KeptPerPrunedFrame(196));

    [Theory]
    [InlineData(0.7, 929)]
    [InlineData(0.8, 619)]
    [InlineData(0.0, 3097)]
    public void KeptPerDecodeStep_ReferenceSpanOf3097_MatchesSpecVectors(double p, int expected) =>
        Assert.Equal(expected, new DyCokeOptions { P = p }.KeptPerDecodeStep(3097));
}
