// Row gather by an I32 index list (raw bytes, any dtype): token selection, KV compaction, DyCoke's kept tokens.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// dst[i, ...] = src[indices[i], ...]: rows along the first dimension, of any dtype. src [R, ...] of rank ≥ 1,
    /// indices I32 [n], dst [n, ...] with src's dtype and trailing dimensions. Indices may repeat.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, R) (checked before anything is written).</exception>
    public unsafe void GatherRows(Tensor src, Tensor indices, Tensor dst)
    {
        TensorCheck.OnDevice(src, DeviceKind.Cpu, nameof(src));
        TensorCheck.OnDevice(indices, DeviceKind.Cpu, nameof(indices));
        TensorCheck.OnDevice(dst, DeviceKind.Cpu, nameof(dst));
        TensorCheck.Is(indices, DType.I32, nameof(indices));
        TensorCheck.Rank(indices, 1, nameof(indices));
        TensorCheck.Is(dst, src.DType, nameof(dst));
        if (src.Shape.Rank < 1)
            throw new ArgumentException($"src has shape {src.Shape}, expected rank ≥ 1", nameof(src));
        TensorCheck.ShapeIs(dst, src.Shape.WithDim(0, indices.Shape[0]), nameof(dst));

        long rows = src.Shape[0];
        ReadOnlySpan<int> index = indices.Span<int>(); // [n]
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (ulong)rows)
                throw new ArgumentOutOfRangeException(nameof(indices), index[i], $"indices[{i}] is outside src {src.Shape}");
        }

        long rowBytes = rows == 0 ? 0 : src.ByteCount / rows;
        nint sp = src.Pointer, dp = dst.Pointer, ip = indices.Pointer;
        ParallelFor(index.Length, rowBytes / 16, (start, end) =>
        {
            int* idx = (int*)ip;
            for (int i = start; i < end; i++)
                Buffer.MemoryCopy((byte*)sp + idx[i] * rowBytes, (byte*)dp + i * rowBytes, rowBytes, rowBytes);
        });
    }
}
