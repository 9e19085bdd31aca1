// Double-precision references shared by op tests, written for clarity rather than speed.
namespace DyCoke.Tensors.Tests;

internal static class ReferenceMath
{
    /// <summary>
    /// erf(x) from the series erf(x) = 2/√π · exp(−x²) · Σₙ (2x²)ⁿ x / (1·3·…·(2n+1)), whose terms are all positive, so
    /// it does not cancel; relative error near 1e-15 for |x| ≤ 6, and ±1 beyond (erfc(6) &lt; 2.2e-17).
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double t = Math.Abs(x);
        if (t > 6) return Math.Sign(x);
        double term = t, sum = 0;
        for (int n = 0; term > 1e-17 * sum || n < 2; n++)
        {
            sum += term;
            term *= 2 * t * t / (2 * n + 3);
        }
        return Math.CopySign(2 / Math.Sqrt(Math.PI) * Math.Exp(-t * t) * sum, x);
    }

    public static double GeluErf(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    public static double Silu(double x) => x / (1 + Math.Exp(-x));
}
