// LayerNorm over the last dimension (SigLIP, eps 1e-6), biased variance as in PyTorch.
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// y = (x − mean) / sqrt(var + eps) · w + b over the last dim, var the biased (population) variance. Sums are
    /// accumulated in double and the variance taken around the mean, so rows with a large offset keep their precision. x, y F32 of equal shape [R, C]
    /// (leading dims fold into R; y may alias x); w, b [C] F32/F16/BF16.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public unsafe void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(weight, DeviceKind.Cpu, nameof(weight));
        TensorCheck.OnDevice(bias, DeviceKind.Cpu, nameof(bias));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.IsFloat(weight, nameof(weight));
        TensorCheck.IsFloat(bias, nameof(bias));
        if (x.Shape.Rank < 1)
            throw new ArgumentException($"x has shape {x.Shape}, expected rank ≥ 1", nameof(x));
        TensorCheck.SameShape(x, y, nameof(x), nameof(y));
        TensorCheck.ShapeIs(weight, new Shape(x.Shape.LastDim), nameof(weight));
        TensorCheck.ShapeIs(bias, new Shape(x.Shape.LastDim), nameof(bias));

        using var w = new F32Parameter(weight); // [C]
        using var b = new F32Parameter(bias); // [C]
        int c = w.Length;
        nint xp = x.Pointer, yp = y.Pointer, wp = w.Address, bp = b.Address;
        ParallelFor(checked((int)x.Shape.Rows), 5L * c, (start, end) =>
        {
            var gamma = new ReadOnlySpan<float>((float*)wp, c); // [C]
            var beta = new ReadOnlySpan<float>((float*)bp, c); // [C]
            for (long r = start; r < end; r++)
            {
                var row = new ReadOnlySpan<float>((float*)xp + r * c, c); // [C]
                var output = new Span<float>((float*)yp + r * c, c); // [C]
                double mean = RowReductions.Sum(row) / c;
                TensorPrimitives.Subtract(row, (float)mean, output);
                // Moments of x − float(mean): their mean m1 is what rounding the mean to float left over, so the
                // variance E[d²] − m1² does not cancel, and subtracting m1 below recentres the row.
                var (sum, squares) = RowReductions.SumAndSumOfSquares(output);
                double m1 = sum / c;
                double variance = Math.Max(squares / c - m1 * m1, 0);
                TensorPrimitives.Subtract(output, (float)m1, output);
                TensorPrimitives.Multiply(output, (float)(1 / Math.Sqrt(variance + eps)), output);
                TensorPrimitives.MultiplyAdd(output, gamma, beta, output);
            }
        });
    }
}
