// Loaders that read weight elements in their stored dtype (F32, F16, BF16) and widen them to F32 vectors.
// The GEMV and the packing routines are generic over these structs, so each dtype gets its own JIT-compiled loop.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>Reads consecutive weight elements at <c>row + k</c> (element index) widened to F32.</summary>
internal unsafe interface IWeightElement
{
    static abstract DType DType { get; }

    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementSize { get; }

    /// <summary>16 elements; only called when <see cref="Vector512.IsHardwareAccelerated"/>.</summary>
    static abstract Vector512<float> Load512(void* row, nint k);

    /// <summary>8 elements; only called when <see cref="Vector256.IsHardwareAccelerated"/>.</summary>
    static abstract Vector256<float> Load256(void* row, nint k);

    /// <summary>4 elements; only called when <see cref="Vector128.IsHardwareAccelerated"/>.</summary>
    static abstract Vector128<float> Load128(void* row, nint k);

    static abstract float Load(void* row, nint k);
}

internal readonly unsafe struct F32Weights : IWeightElement
{
    public static DType DType => DType.F32;
    public static int ElementSize => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(void* row, nint k) => Vector512.Load((float*)row + k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(void* row, nint k) => Vector256.Load((float*)row + k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(void* row, nint k) => Vector128.Load((float*)row + k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(void* row, nint k) => ((float*)row)[k];
}

internal readonly unsafe struct F16Weights : IWeightElement
{
    public static DType DType => DType.F16;
    public static int ElementSize => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(void* row, nint k) =>
        HalfWidening.Widen(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + k)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(void* row, nint k) =>
        HalfWidening.Widen(Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32((ushort*)row + k).AsUInt32()
            : Vector256.WidenLower(Vector128.Load((ushort*)row + k).ToVector256Unsafe()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(void* row, nint k) => HalfWidening.Widen(Load4Bits((ushort*)row + k));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(void* row, nint k) => DTypeConversion.F16ToSingle(((ushort*)row)[k]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<uint> Load4Bits(ushort* p) => Sse41.IsSupported
        ? Sse41.ConvertToVector128Int32(p).AsUInt32()
        : Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(p)).AsUInt16());
}

internal readonly unsafe struct BF16Weights : IWeightElement
{
    public static DType DType => DType.BF16;
    public static int ElementSize => 2;

    // BF16 is the upper half of an F32, so widening is a zero-extend and a shift.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(void* row, nint k) =>
        (Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + k)) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(void* row, nint k) =>
        ((Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32((ushort*)row + k).AsUInt32()
            : Vector256.WidenLower(Vector128.Load((ushort*)row + k).ToVector256Unsafe())) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load128(void* row, nint k) => (F16Weights.Load4Bits((ushort*)row + k) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(void* row, nint k) => DTypeConversion.BF16ToSingle(((ushort*)row)[k]);
}
