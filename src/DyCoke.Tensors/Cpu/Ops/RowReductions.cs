// Row sums of F32 values accumulated in double, for the norms and softmax: the scalar fallback (and any single float
// accumulator) drifts by ~1e-6 relative over a few thousand terms, which then differs between SIMD modes.
using System.Numerics;
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cpu;

/// <summary>Sums over float spans with double accumulators (vectorized by widening; same precision on every path).</summary>
internal static class RowReductions
{
    /// <summary>Σ x[i].</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        double total = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(x);
            Vector<double> lowSum = Vector<double>.Zero, highSum = Vector<double>.Zero;
            foreach (var v in vectors)
            {
                Vector.Widen(v, out Vector<double> low, out Vector<double> high);
                lowSum += low;
                highSum += high;
            }
            total = Vector.Sum(lowSum + highSum);
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) total += x[i];
        return total;
    }

    /// <summary>Σ x[i]².</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double total = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(x);
            Vector<double> lowSum = Vector<double>.Zero, highSum = Vector<double>.Zero;
            foreach (var v in vectors)
            {
                Vector.Widen(v, out Vector<double> low, out Vector<double> high);
                lowSum = Vector.MultiplyAddEstimate(low, low, lowSum);
                highSum = Vector.MultiplyAddEstimate(high, high, highSum);
            }
            total = Vector.Sum(lowSum + highSum);
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) total += (double)x[i] * x[i];
        return total;
    }

    /// <summary>(Σ x[i], Σ x[i]²) in one pass.</summary>
    public static (double Sum, double SumOfSquares) SumAndSumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0, squares = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(x);
            Vector<double> s = Vector<double>.Zero, q = Vector<double>.Zero;
            foreach (var v in vectors)
            {
                Vector.Widen(v, out Vector<double> low, out Vector<double> high);
                s += low + high;
                q = Vector.MultiplyAddEstimate(low, low, Vector.MultiplyAddEstimate(high, high, q));
            }
            sum = Vector.Sum(s);
            squares = Vector.Sum(q);
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            sum += x[i];
            squares += (double)x[i] * x[i];
        }
        return (sum, squares);
    }
}
