// Per-thread, grow-only, 64-byte-aligned scratch memory for packed GEMM panels, reused across calls so the hot
// path neither allocates nor page-faults. The finaliser frees the memory when the owning thread goes away.
using System.Runtime.InteropServices;

namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>One native buffer of floats; grows (contents discarded) but never shrinks.</summary>
internal sealed unsafe class GemmScratch
{
    // Separate per-thread slots: the packed x panel is owned by the calling thread and read by all workers while
    // each worker packs W into its own slot, so the two must never be the same buffer.
    [ThreadStatic] private static GemmScratch? t_packedX;
    [ThreadStatic] private static GemmScratch? t_packedW;
    [ThreadStatic] private static GemmScratch? t_misc;

    private float* _pointer;
    private long _capacity;

    /// <summary>The calling thread's buffer for packed x panels, at least <paramref name="floats"/> long.</summary>
    public static float* PackedX(long floats) => (t_packedX ??= new GemmScratch()).Ensure(floats);

    /// <summary>The calling thread's buffer for one packed W panel.</summary>
    public static float* PackedW(long floats) => (t_packedW ??= new GemmScratch()).Ensure(floats);

    /// <summary>The calling thread's buffer for anything else (widened bias, widened weights for OpenBLAS).</summary>
    public static float* Misc(long floats) => (t_misc ??= new GemmScratch()).Ensure(floats);

    private float* Ensure(long floats)
    {
        if (floats > _capacity)
        {
            if (_pointer != null) NativeMemory.AlignedFree(_pointer);
            _pointer = null;
            _capacity = 0;
            // Round up so a sequence of slightly larger requests does not reallocate each time.
            long capacity = Math.Max(floats, 4096);
            capacity = (capacity + capacity / 4 + 15) & ~15L;
            _pointer = (float*)NativeMemory.AlignedAlloc((nuint)(capacity * sizeof(float)), 64);
            _capacity = capacity;
        }
        return _pointer;
    }

    ~GemmScratch()
    {
        if (_pointer != null) NativeMemory.AlignedFree(_pointer);
    }
}
