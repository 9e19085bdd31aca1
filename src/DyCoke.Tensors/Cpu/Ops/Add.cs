// Elementwise F32 add of two equally shaped tensors (residual adds outside the fused AddRmsNorm).
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    // Elements per parallel work item.
    private const int AddChunk = 1 << 16;

    /// <summary>y = a + b elementwise; a, b, y F32 of the same shape. y may alias a or b (exactly, not shifted).</summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public unsafe void Add(Tensor a, Tensor b, Tensor y)
    {
        TensorCheck.OnDevice(a, DeviceKind.Cpu, nameof(a));
        TensorCheck.OnDevice(b, DeviceKind.Cpu, nameof(b));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(a, DType.F32, nameof(a));
        TensorCheck.Is(b, DType.F32, nameof(b));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.SameShape(a, b, nameof(a), nameof(b));
        TensorCheck.SameShape(a, y, nameof(a), nameof(y));

        long n = a.NumElements; // [n] flat
        nint ap = a.Pointer, bp = b.Pointer, yp = y.Pointer;
        int chunks = (int)((n + AddChunk - 1) / AddChunk);
        ParallelFor(chunks, AddChunk / 4, (start, end) =>
        {
            long first = (long)start * AddChunk;
            int count = (int)(Math.Min((long)end * AddChunk, n) - first);
            TensorPrimitives.Add(
                new ReadOnlySpan<float>((float*)ap + first, count),
                new ReadOnlySpan<float>((float*)bp + first, count),
                new Span<float>((float*)yp + first, count));
        });
    }
}
