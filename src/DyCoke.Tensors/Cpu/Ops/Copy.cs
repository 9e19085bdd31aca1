// Raw element copy between two CPU tensors of the same dtype and element count (any dtype; shapes may differ).
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    // Bytes per parallel work item: large enough that a chunk costs far more than scheduling it.
    private const long CopyChunkBytes = 1 << 20;

    /// <summary>
    /// dst ← src as raw bytes (memmove semantics when the two overlap). Large non-overlapping copies are split over
    /// the worker threads.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not on the CPU, or dtype or element count differ.</exception>
    public unsafe void Copy(Tensor src, Tensor dst)
    {
        TensorCheck.OnDevice(src, DeviceKind.Cpu, nameof(src));
        TensorCheck.OnDevice(dst, DeviceKind.Cpu, nameof(dst));
        TensorCheck.Is(dst, src.DType, nameof(dst));
        TensorCheck.SameElementCount(src, dst, nameof(src), nameof(dst));

        long bytes = src.ByteCount;
        nint from = src.Pointer, to = dst.Pointer;
        if (bytes == 0 || from == to) return;
        bool overlap = from < to + (nint)bytes && to < from + (nint)bytes;
        if (overlap || bytes < 2 * CopyChunkBytes)
        {
            Buffer.MemoryCopy((void*)from, (void*)to, bytes, bytes);
            return;
        }
        int chunks = (int)((bytes + CopyChunkBytes - 1) / CopyChunkBytes);
        // A byte copy is ~1/16 of a multiply-add in cost; the weight keeps small copies on one thread.
        ParallelFor(chunks, CopyChunkBytes / 16, (start, end) =>
        {
            long offset = start * CopyChunkBytes;
            long count = Math.Min(end * CopyChunkBytes, bytes) - offset;
            Buffer.MemoryCopy((void*)(from + (nint)offset), (void*)(to + (nint)offset), count, count);
        });
    }
}
