// How the CPU decode kernels read a KV-cache row: F32 as stored, or BF16 widened to F32 in registers. BF16 halves the
// bytes a decode step streams from L3 for the video KV, the term that grows with the batch (docs/decisions.md, "BF16 KV
// cache on the CPU"). Generic struct parameters make the JIT compile one specialised kernel per element type.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu;

/// <summary>An element type of the KV cache the AVX-512 decode kernels read (<see cref="DecodeTiles"/>).</summary>
internal unsafe interface IKvRows
{
    /// <summary>Bytes per element.</summary>
    static abstract int ElementSize { get; }

    /// <summary>16 consecutive elements at <paramref name="p"/> as F32 lanes.</summary>
    static abstract Vector512<float> Load16(byte* p);

    /// <summary>
    /// 16 elements at each of <paramref name="a"/> and <paramref name="b"/> as F32, split by element index i:
    /// lo = a[i], b[i] for i mod 8 &lt; 4; hi = the others; each holds a's 8 in lanes 0–7 and b's in lanes 8–15, in
    /// index order (lo: 0–3, 8–11; hi: 4–7, 12–15). The decode score tiles' first reduction level, done while widening.
    /// </summary>
    static abstract void LoadPair(byte* a, byte* b, out Vector512<float> lo, out Vector512<float> hi);
}

/// <summary>F32 cache rows: a plain 512-bit load.</summary>
internal readonly unsafe struct F32KvRows : IKvRows
{
    public static int ElementSize => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* p) => Vector512.Load((float*)p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadPair(byte* a, byte* b, out Vector512<float> lo, out Vector512<float> hi)
    {
        Vector512<float> x = Vector512.Load((float*)a), y = Vector512.Load((float*)b);
        lo = Avx512F.PermuteVar16x32x2(x, Vector512.Create(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27), y);
        hi = Avx512F.PermuteVar16x32x2(x, Vector512.Create(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31), y);
    }
}

/// <summary>BF16 cache rows: a 256-bit load, zero-extended to 32-bit lanes and shifted into the high half (exact).</summary>
internal readonly unsafe struct Bf16KvRows : IKvRows
{
    public static int ElementSize => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)p)), 16).AsSingle();

    // Both rows in one register, then zero words interleaved below each element (vpunpck{l,h}wd work per 128-bit lane,
    // which is exactly the lo/hi index split): two shuffles widen 32 elements, where Load16 spends a shuffle and a
    // shift on 16, and the shift competes with the FMAs for their port.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadPair(byte* a, byte* b, out Vector512<float> lo, out Vector512<float> hi)
    {
        var both = Vector512.Create(Vector256.Load((ushort*)a), Vector256.Load((ushort*)b));
        lo = Avx512BW.UnpackLow(Vector512<ushort>.Zero, both).AsSingle();
        hi = Avx512BW.UnpackHigh(Vector512<ushort>.Zero, both).AsSingle();
    }
}
