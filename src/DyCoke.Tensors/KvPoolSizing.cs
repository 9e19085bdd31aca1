// How many KV slots fit: the per-layer slot pools are sized from the memory left after weights and workspace, so a
// bigger GPU serves more concurrent tokens without configuration. Backend-neutral arithmetic, tested without a GPU.
namespace DyCoke.Tensors;

public static class KvPoolSizing
{
    /// <summary>Bytes one slot takes across all layers: K and V, Hkv heads of D elements each.</summary>
    public static long BytesPerSlot(int layers, int kvHeads, int headDim, DType dtype) =>
        2L * layers * kvHeads * headDim * dtype.SizeOf();

    /// <summary>
    /// Slots for a pool given the device's free memory now (after weights are resident), the fraction of it the
    /// operator grants the cache, and a reserve for activations and scratch. Rounded down to whole blocks of
    /// <paramref name="blockSize"/> slots; never negative.
    /// </summary>
    public static long SlotCount(long freeBytes, double fraction, long reserveBytes, long bytesPerSlot, int blockSize = 16)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1]");
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSlot, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        long budget = (long)(freeBytes * fraction) - reserveBytes;
        if (budget <= 0) return 0;
        return budget / bytesPerSlot / blockSize * blockSize;
    }
}
