// Row-wise cosine similarity of two equally shaped F32 matrices (DyCoke's temporal token merging score).
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// out[r] = a[r]·b[r] / max(‖a[r]‖·‖b[r]‖, 1e-8): the eps clamps the product of the norms, as PyTorch's
    /// cosine_similarity did up to 1.11. PyTorch 1.12+ clamps each norm separately (verified with torch 1.13); the two
    /// agree whenever both norms are at least 1e-8 and their product is at least 1e-8. A zero row gives 0.
    /// a, b F32 [R, C] (leading dims fold into R); out F32 [R].
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public unsafe void RowCosine(Tensor a, Tensor b, Tensor output)
    {
        const double Eps = 1e-8;
        TensorCheck.OnDevice(a, DeviceKind.Cpu, nameof(a));
        TensorCheck.OnDevice(b, DeviceKind.Cpu, nameof(b));
        TensorCheck.OnDevice(output, DeviceKind.Cpu, nameof(output));
        TensorCheck.Is(a, DType.F32, nameof(a));
        TensorCheck.Is(b, DType.F32, nameof(b));
        TensorCheck.Is(output, DType.F32, nameof(output));
        if (a.Shape.Rank < 1)
            throw new ArgumentException($"a has shape {a.Shape}, expected rank ≥ 1", nameof(a));
        TensorCheck.SameShape(a, b, nameof(a), nameof(b));
        TensorCheck.ShapeIs(output, new Shape(a.Shape.Rows), nameof(output));

        int c = checked((int)a.Shape.LastDim); // C
        nint ap = a.Pointer, bp = b.Pointer, op = output.Pointer;
        ParallelFor(checked((int)a.Shape.Rows), 3L * c, (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                var x = new ReadOnlySpan<float>((float*)ap + r * c, c); // [C]
                var y = new ReadOnlySpan<float>((float*)bp + r * c, c); // [C]
                // The norm product in double: a float product of two squared norms can overflow or underflow.
                double norms = Math.Sqrt((double)TensorPrimitives.SumOfSquares<float>(x) * TensorPrimitives.SumOfSquares<float>(y));
                ((float*)op)[r] = (float)(TensorPrimitives.Dot<float>(x, y) / Math.Max(norms, Eps));
            }
        });
    }
}
