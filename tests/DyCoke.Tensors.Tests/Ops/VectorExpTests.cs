// The AVX-512 exponentials behind the CPU softmax and SiLU kernels, against double precision over their whole ranges.
using System.Runtime.Intrinsics;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class VectorExpTests
{
    [Fact]
    public void ExpNegated_DenseGrid_WithinTwoUlpOfDouble()
    {
        Assert.SkipUnless(VectorExp.IsSupported, "needs AVX-512");
        // Every 1/64 on [−86, 86] (where e^−g stays a normal fp32 number) plus values around the clamp.
        var grid = new List<float>();
        for (int i = -86 * 64; i <= 86 * 64; i++) grid.Add(i / 64f);
        grid.AddRange([1e-7f, -1e-7f, 0.34657359f, -0.34657359f, 12.345678f, -12.345678f]);
        double worst = 0;
        foreach (float g in grid)
        {
            float e = Lane0(VectorExp.ExpNegated(Vector512.Create(g)));
            double expected = Math.Exp(-(double)g);
            worst = Math.Max(worst, Math.Abs(e - expected) / expected);
        }
        // fp32 has 2^-24 ≈ 6e-8 relative precision; the reduction and the fit add about one more ulp.
        Assert.True(worst < 2.5e-7, $"worst relative error {worst:E2}");
    }

    [Fact]
    public void ExpNegated_BeyondTheClamp_StaysFiniteAndNormal_AndNaNPropagates()
    {
        Assert.SkipUnless(VectorExp.IsSupported, "needs AVX-512");
        foreach (float g in new[] { 100f, 1e4f, float.PositiveInfinity })
        {
            float e = Lane0(VectorExp.ExpNegated(Vector512.Create(g)));
            Assert.True(float.IsNormal(e) && e > 0 && e < 1e-37f, $"e^-{g} gave {e}");
        }
        foreach (float g in new[] { -100f, -1e4f, float.NegativeInfinity })
        {
            float e = Lane0(VectorExp.ExpNegated(Vector512.Create(g)));
            Assert.True(float.IsFinite(e) && e > 1e37f, $"e^-({g}) gave {e}");
        }
        Assert.True(float.IsNaN(Lane0(VectorExp.ExpNegated(Vector512.Create(float.NaN)))));
    }

    [Fact]
    public void Exp2NonPositive_DenseGrid_WithinTwoUlpOfDouble_AndClampsToZero()
    {
        Assert.SkipUnless(VectorExp.IsSupported, "needs AVX-512");
        double worst = 0;
        for (int i = -126 * 128; i <= 0; i++)
        {
            float x = i / 128f;
            double expected = Math.Pow(2, x);
            worst = Math.Max(worst, Math.Abs(Lane0(VectorExp.Exp2NonPositive(Vector512.Create(x))) - expected) / expected);
        }
        Assert.True(worst < 2.5e-7, $"worst relative error {worst:E2}");
        Assert.Equal(0f, Lane0(VectorExp.Exp2NonPositive(Vector512.Create(float.NegativeInfinity))));
        Assert.Equal(0f, Lane0(VectorExp.Exp2NonPositive(Vector512.Create(-1000f))));
        Assert.True(float.IsNaN(Lane0(VectorExp.Exp2NonPositive(Vector512.Create(float.NaN)))));
    }

    private static float Lane0(Vector512<float> v) => v.ToScalar();
}
