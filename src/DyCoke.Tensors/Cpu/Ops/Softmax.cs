// Max-shifted softmax over the last dimension (TensorPrimitives.SoftMax does not subtract the max, so it overflows).
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// y[r, i] = exp(x[r, i] − max_r) / Σ_j exp(x[r, j] − max_r). x, y F32 of equal shape [R, N] (leading dims fold into
    /// R; y may alias x). A row containing NaN gives all NaN; a row whose max is ±Inf gives NaN where x is ±Inf as well
    /// (as PyTorch); −Inf entries in a row with a finite max get probability 0.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public unsafe void Softmax(Tensor x, Tensor y)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(y, DType.F32, nameof(y));
        if (x.Shape.Rank < 1)
            throw new ArgumentException($"x has shape {x.Shape}, expected rank ≥ 1", nameof(x));
        TensorCheck.SameShape(x, y, nameof(x), nameof(y));

        int n = checked((int)x.Shape.LastDim); // N
        if (n == 0) return;
        nint xp = x.Pointer, yp = y.Pointer;
        ParallelFor(checked((int)x.Shape.Rows), 16L * n, (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                var row = new ReadOnlySpan<float>((float*)xp + r * n, n); // [N]
                var output = new Span<float>((float*)yp + r * n, n); // [N]
                MaxShiftedSoftmaxRow(row, output);
            }
        });
    }

    /// <summary>One max-shifted softmax row (shared with attention); output may alias row.</summary>
    internal static void MaxShiftedSoftmaxRow(ReadOnlySpan<float> row, Span<float> output)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, output);
        TensorPrimitives.Exp(output, output);
        TensorPrimitives.Divide(output, (float)RowReductions.Sum(output), output);
    }
}
