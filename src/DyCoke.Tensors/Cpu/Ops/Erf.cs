// The error function and the standard normal CDF in double precision, scalar and vectorized, for exact-form GELU.
// .NET has no Math.Erf. Coefficients: our own least-squares Chebyshev-node fits, made and checked by
// tools/reference/fit_erf_coefficients.py (max |error| 3.1e-11 against mpmath on a dense grid).
using System.Numerics;
using System.Runtime.CompilerServices;

namespace DyCoke.Tensors.Cpu;

/// <summary>
/// erf via two pieces: |x| &lt; 1 uses erf(x) = x·A(x²); |x| ≥ 1 uses erfc(|x|) = exp(−x²)·B(1/|x|), where B fits the
/// scaled complementary error function exp(t²)·erfc(t), which is smooth in 1/t. Working from erfc on the large piece
/// keeps Φ(x) = ½·erfc(−x/√2) accurate in relative terms far into the negative tail, where 1 + erf(x) would cancel.
/// </summary>
internal static class ErrorFunction
{
    private const double InvSqrt2 = 0.70710678118654752440;

    // A(u), u = x² on [0, 1]: erf(x)/x.
    private const double A0 = 1.1283791670946952;
    private const double A1 = -0.3761263888986928;
    private const double A2 = 0.11283791313499399;
    private const double A3 = -0.026866133625492238;
    private const double A4 = 0.0052237850070906595;
    private const double A5 = -0.0008542670567732235;
    private const double A6 = 0.00011956946823921661;
    private const double A7 = -1.3911701148502928e-05;
    private const double A8 = 1.0595275841880361e-06;

    // B(s), s = 1/t on [1/6, 1]: exp(t²)·erfc(t). Beyond t = 6, erfc(t) < 2.2e-17, so s is clamped at 1/6.
    private const double B0 = -9.96118662992785e-06;
    private const double B1 = 0.5645199663953863;
    private const double B2 = -0.004879614946350325;
    private const double B3 = -0.23977704793381005;
    private const double B4 = -0.2383434314535913;
    private const double B5 = 1.3265457572972839;
    private const double B6 = -2.2680227602207643;
    private const double B7 = 2.311113068439948;
    private const double B8 = -1.507440513601522;
    private const double B9 = 0.5900334044917774;
    private const double B10 = -0.10013042890665616;
    private const double B11 = -0.01159857918171243;
    private const double B12 = 0.0055737170464054886;

    private const double LargeCutoff = 6.0;

    /// <summary>erf(x), max abs error about 3e-11; odd, ±1 at ±∞, NaN for NaN.</summary>
    public static double Erf(double x)
    {
        double t = Math.Abs(x);
        if (t < 1.0)
            return x * SmallPolynomial(x * x);
        double erfc = ScaledTail(t);
        return double.CopySign(1.0 - erfc, x);
    }

    /// <summary>Φ(x) = ½·(1 + erf(x/√2)), the standard normal CDF; accurate in relative terms for very negative x.</summary>
    public static double NormalCdf(double x)
    {
        double z = x * InvSqrt2;
        double t = Math.Abs(z);
        if (t < 1.0)
            return 0.5 + 0.5 * (z * SmallPolynomial(z * z));
        double erfc = ScaledTail(t);
        return z < 0 ? 0.5 * erfc : 1.0 - 0.5 * erfc;
    }

    /// <summary>Φ(x) lane-wise; same formulas as the scalar <see cref="NormalCdf(double)"/> (up to FMA contraction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> NormalCdf(Vector<double> x)
    {
        var z = x * InvSqrt2;
        var t = Vector.Abs(z);
        var u = z * z;

        // Both pieces are evaluated and blended: a branch per lane is not possible.
        var small = Vector.MultiplyAddEstimate(Horner(u, A0, A1, A2, A3, A4, A5, A6, A7, A8) * z, new Vector<double>(0.5), new Vector<double>(0.5));

        var s = Vector<double>.One / Vector.Max(t, new Vector<double>(1.0));
        s = Vector.Max(s, new Vector<double>(1.0 / LargeCutoff));
        var tail = Vector.Exp(-u) * HornerTail(s); // erfc(|z|)
        var halfTail = tail * 0.5;
        var large = Vector.ConditionalSelect(Vector.LessThan(z, Vector<double>.Zero), halfTail, Vector<double>.One - halfTail);

        return Vector.ConditionalSelect(Vector.LessThan(t, Vector<double>.One), small, large);
    }

    // erfc(t) for t ≥ 1.
    private static double ScaledTail(double t)
    {
        double s = 1.0 / Math.Min(t, LargeCutoff);
        double b = B12;
        b = b * s + B11; b = b * s + B10; b = b * s + B9; b = b * s + B8; b = b * s + B7; b = b * s + B6;
        b = b * s + B5; b = b * s + B4; b = b * s + B3; b = b * s + B2; b = b * s + B1; b = b * s + B0;
        return Math.Exp(-t * t) * b;
    }

    private static double SmallPolynomial(double u)
    {
        double a = A8;
        a = a * u + A7; a = a * u + A6; a = a * u + A5; a = a * u + A4;
        a = a * u + A3; a = a * u + A2; a = a * u + A1; a = a * u + A0;
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Horner(Vector<double> u, double c0, double c1, double c2, double c3, double c4, double c5, double c6, double c7, double c8)
    {
        var a = new Vector<double>(c8);
        a = Vector.MultiplyAddEstimate(a, u, new Vector<double>(c7));
        a = Vector.MultiplyAddEstimate(a, u, new Vector<double>(c6));
        a = Vector.MultiplyAddEstimate(a, u, new Vector<double>(c5));
        a = Vector.MultiplyAddEstimate(a, u, new Vector<double>(c4));
        a = Vector.MultiplyAddEstimate(a, u, new Vector<double>(c3));
        a = Vector.MultiplyAddEstimate(a, u, new Vector<double>(c2));
        a = Vector.MultiplyAddEstimate(a, u, new Vector<double>(c1));
        return Vector.MultiplyAddEstimate(a, u, new Vector<double>(c0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> HornerTail(Vector<double> s)
    {
        var b = new Vector<double>(B12);
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B11));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B10));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B9));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B8));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B7));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B6));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B5));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B4));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B3));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B2));
        b = Vector.MultiplyAddEstimate(b, s, new Vector<double>(B1));
        return Vector.MultiplyAddEstimate(b, s, new Vector<double>(B0));
    }
}
