// The CPU backend's erf and normal CDF (used by exact GELU) against a double series reference.
using System.Runtime.Intrinsics;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class ErrorFunctionTests
{
    [Fact]
    public void Erf_DenseGridOverBothPieces_WithinOneE10OfSeries()
    {
        // Required: 1e-7. The fit's own bound is 3.1e-11 (tools/reference/fit_erf_coefficients.py).
        double worst = 0;
        for (int i = -80000; i <= 80000; i++)
        {
            double x = i * 1e-4;
            worst = Math.Max(worst, Math.Abs(ErrorFunction.Erf(x) - ReferenceMath.Erf(x)));
        }
        Assert.True(worst <= 1e-10, $"max |erf error| {worst:g3}");
    }

    [Fact]
    public void Erf_SpecialValues_AsMath()
    {
        Assert.Equal(0.0, ErrorFunction.Erf(0.0));
        Assert.Equal(1.0, ErrorFunction.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, ErrorFunction.Erf(double.NegativeInfinity));
        Assert.True(double.IsNaN(ErrorFunction.Erf(double.NaN)));
        Assert.Equal(-ErrorFunction.Erf(0.7), ErrorFunction.Erf(-0.7));
        Assert.Equal(-ErrorFunction.Erf(2.5), ErrorFunction.Erf(-2.5));
    }

    [Fact]
    public void NormalCdf_NegativeTail_KeepsRelativeAccuracy()
    {
        // Φ(−x) = ½·erfc(x/√2); at x = 8 that is 6.22e-16 (mpmath), where 1 + erf would have cancelled to nothing.
        // The tail fit keeps it to about 2e-9 relative.
        Assert.Equal(6.220960574271784e-16, ErrorFunction.NormalCdf(-8.0), 1e-8 * 6.22e-16);
        Assert.Equal(0.5, ErrorFunction.NormalCdf(0.0));
        Assert.Equal(1.0, ErrorFunction.NormalCdf(double.PositiveInfinity));
        Assert.Equal(0.0, ErrorFunction.NormalCdf(double.NegativeInfinity));
    }

    [Fact]
    public void NormalCdf_VectorLanes_EqualScalarWithinRounding()
    {
        var rng = new Random(3);
        var lanes = new double[Vector256<double>.Count];
        for (int trial = 0; trial < 5000; trial++)
        {
            // Mixed vectors, vectors wholly inside |x/√2| < 1, and wholly outside: the three code paths.
            for (int j = 0; j < lanes.Length; j++)
            {
                double u = rng.NextDouble() - 0.5;
                lanes[j] = (trial % 3) switch
                {
                    0 => u * 8,
                    1 => u * 2.8,
                    _ => Math.CopySign(1.42 + Math.Abs(u) * 20, u),
                };
            }
            var result = ErrorFunction.NormalCdf(Vector256.Create(lanes));
            for (int j = 0; j < lanes.Length; j++)
            {
                double expected = ErrorFunction.NormalCdf(lanes[j]);
                Assert.True(Math.Abs(result.GetElement(j) - expected) <= 1e-15 + 1e-13 * expected, $"Φ({lanes[j]}): vector {result.GetElement(j):R}, scalar {expected:R}");
            }
        }
    }
}
