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
}

/// <summary>F32 cache rows: a plain 512-bit load.</summary>
internal readonly unsafe struct F32KvRows : IKvRows
{
    public static int ElementSize => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* p) => Vector512.Load((float*)p);
}

/// <summary>BF16 cache rows: a 256-bit load, zero-extended to 32-bit lanes and shifted into the high half (exact).</summary>
internal readonly unsafe struct Bf16KvRows : IKvRows
{
    public static int ElementSize => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)p)), 16).AsSingle();
}
