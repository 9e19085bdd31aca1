// A bounded cache of freed small CPU blocks by power-of-two size class: a decode step allocates and frees the same few
// dozen activation buffers every step, and the aligned allocator plus its bookkeeping cost as much as a small op.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors;

/// <summary>
/// Blocks of 64 B to 1 MiB are rounded up to a power of two and kept on a per-class free list when released, up to
/// <see cref="MaxCachedBytes"/> in all; larger blocks go straight to and from the native allocator. Thread-safe.
/// Cached blocks are not live tensor memory (<see cref="CpuStorage.LiveBytes"/> does not count them).
/// </summary>
internal static unsafe class CpuBlockCache
{
    /// <summary>Bytes of released blocks the cache may hold: the activations of a few decode steps of a small model.</summary>
    public const long MaxCachedBytes = 32L << 20;

    private const int MinShift = 6;  // 64 B, one cache line
    private const int MaxShift = 20; // 1 MiB: larger buffers (prefill, vision) are rarer and their allocation cost small beside their use

    private static readonly Stack<nint>[] s_free = CreateClasses();
    private static readonly Lock s_lock = new();
    private static long s_cachedBytes;

    /// <summary>Bytes held on the free lists now.</summary>
    public static long CachedBytes
    {
        get { lock (s_lock) return s_cachedBytes; }
    }

    /// <summary>
    /// A block of at least <paramref name="byteCount"/> bytes, aligned to <paramref name="alignment"/>; its
    /// <paramref name="capacity"/> is what <see cref="Release"/> must be given back. Contents are undefined.
    /// </summary>
    public static void* Rent(long byteCount, int alignment, out long capacity)
    {
        int shift = ClassOf(byteCount);
        if (shift < 0)
        {
            capacity = byteCount;
            return NativeMemory.AlignedAlloc((nuint)Math.Max(byteCount, 1), (nuint)alignment);
        }
        capacity = 1L << shift;
        lock (s_lock)
        {
            if (s_free[shift - MinShift].TryPop(out nint block))
            {
                s_cachedBytes -= capacity;
                return (void*)block;
            }
        }
        return NativeMemory.AlignedAlloc((nuint)capacity, (nuint)alignment);
    }

    /// <summary>Returns a block from <see cref="Rent"/>: cached when it is small and the cache has room, else freed.</summary>
    public static void Release(void* block, long capacity)
    {
        int shift = ClassOf(capacity);
        if (shift >= 0 && 1L << shift == capacity)
        {
            lock (s_lock)
            {
                if (s_cachedBytes + capacity <= MaxCachedBytes)
                {
                    s_free[shift - MinShift].Push((nint)block);
                    s_cachedBytes += capacity;
                    return;
                }
            }
        }
        NativeMemory.AlignedFree(block);
    }

    /// <summary>Frees every cached block (tests, and a host that wants its memory back after a burst).</summary>
    public static void Trim()
    {
        lock (s_lock)
        {
            foreach (var stack in s_free)
                while (stack.TryPop(out nint block)) NativeMemory.AlignedFree((void*)block);
            s_cachedBytes = 0;
        }
    }

    // The power-of-two class of a request, or −1 when it bypasses the cache.
    private static int ClassOf(long byteCount)
    {
        if (byteCount > 1L << MaxShift) return -1;
        int shift = byteCount <= 1L << MinShift ? MinShift : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(byteCount - 1));
        return shift;
    }

    private static Stack<nint>[] CreateClasses()
    {
        var classes = new Stack<nint>[MaxShift - MinShift + 1];
        for (int i = 0; i < classes.Length; i++) classes[i] = new Stack<nint>();
        return classes;
    }
}
