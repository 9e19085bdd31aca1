// Per-row argmax (greedy decoding over logits), first index on ties as torch.argmax.
using System.Numerics;
using System.Numerics.Tensors;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// indices[r] = the first index of the largest value of x[r, :]. x F32 [R, N] (leading dims fold into R, N ≥ 1);
    /// indices I32 [R]. NaN ranks above everything (the first NaN wins, as torch.argmax); −0 and +0 are equal.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape, or empty rows.</exception>
    public unsafe void ArgMax(Tensor x, Tensor indices)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(indices, DeviceKind.Cpu, nameof(indices));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(indices, DType.I32, nameof(indices));
        if (x.Shape.Rank < 1 || (x.Shape.LastDim == 0 && x.Shape.Rows > 0))
            throw new ArgumentException($"x has shape {x.Shape}, expected [R, N] with N ≥ 1", nameof(x));
        TensorCheck.ShapeIs(indices, new Shape(x.Shape.Rows), nameof(indices));

        int n = checked((int)x.Shape.LastDim); // N
        nint xp = x.Pointer, ip = indices.Pointer;
        ParallelFor(checked((int)x.Shape.Rows), 2L * n, (start, end) =>
        {
            for (long r = start; r < end; r++)
                ((int*)ip)[r] = ArgMaxRow(new ReadOnlySpan<float>((float*)xp + r * n, n));
        });
    }

    // Two passes: a vectorized max, then the first element equal to it (== treats −0 and +0 alike).
    private static int ArgMaxRow(ReadOnlySpan<float> row)
    {
        float max = TensorPrimitives.Max(row);
        if (float.IsNaN(max))
        {
            for (int j = 0; j < row.Length; j++)
                if (float.IsNaN(row[j])) return j;
        }
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var target = new Vector<float>(max);
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
                if (Vector.EqualsAny(new Vector<float>(row[i..]), target)) break;
        }
        for (; i < row.Length; i++)
            if (row[i] == max) return i;
        throw new InvalidOperationException("unreachable: the row maximum was not found in the row");
    }
}
