// Exact element conversions between F32 and the 16-bit float formats (round-to-nearest-even, NaN, Inf, subnormals):
// scalar forms, and vectorized bulk span forms shared by the CPU ops (Convert, norms, Embedding, GEMM weight widening).
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DyCoke.Tensors;

/// <summary>
/// Scalar and bulk conversions. F16 uses <see cref="Half"/> (IEEE binary16; the runtime's conversions round to nearest
/// even and keep subnormals). BF16 has no .NET type: it is the top 16 bits of an F32, stored as <see cref="ushort"/>.
/// Every bulk method converts <c>source.Length</c> elements, gives results bit-identical to the scalar method on every
/// SIMD path, and throws <see cref="ArgumentException"/> when the destination is shorter than the source.
/// </summary>
public static class DTypeConversion
{
    // Elements per stack buffer when a conversion goes through F32 (F16 ↔ BF16, and the byte-span dispatchers).
    private const int StagingLength = 512;

    /// <summary>BF16 bits to F32: exact (a shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>
    /// F32 to BF16 bits with round-to-nearest-even. NaN stays NaN (quiet bit forced so truncation cannot
    /// turn it into Inf); ±Inf and overflow to Inf follow IEEE; subnormals round like any other value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort SingleToBF16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u)
            return (ushort)((bits >> 16) | 0x0040u);
        uint rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>F16 bits to F32: exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>F32 to F16 bits, round-to-nearest-even; overflow goes to ±Inf, NaN stays NaN, subnormals are kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort SingleToF16(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>Widens F16 bits to F32 (exact), vectorized; same results as <see cref="F16ToSingle"/>.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void ConvertF16ToF32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(source), destination);
    }

    /// <summary>Narrows F32 to F16 bits (round-to-nearest-even), vectorized; same results as <see cref="SingleToF16"/>.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void ConvertF32ToF16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<ushort, Half>(destination));
    }

    /// <summary>Widens BF16 bits to F32 (exact: a 16-bit shift per element), vectorized.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void ConvertBF16ToF32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckDestination(source.Length, destination.Length);
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref uint dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        int n = source.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref src, (nuint)i));
                (lower << 16).StoreUnsafe(ref dst, (nuint)i);
                (upper << 16).StoreUnsafe(ref dst, (nuint)(i + Vector512<uint>.Count));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                (lower << 16).StoreUnsafe(ref dst, (nuint)i);
                (upper << 16).StoreUnsafe(ref dst, (nuint)(i + Vector256<uint>.Count));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                var (lower, upper) = Vector128.Widen(Vector128.LoadUnsafe(ref src, (nuint)i));
                (lower << 16).StoreUnsafe(ref dst, (nuint)i);
                (upper << 16).StoreUnsafe(ref dst, (nuint)(i + Vector128<uint>.Count));
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref dst, i) = (uint)Unsafe.Add(ref src, i) << 16;
    }

    /// <summary>
    /// Narrows F32 to BF16 bits with round-to-nearest-even, vectorized; same results as <see cref="SingleToBF16"/>
    /// (NaN stays a quiet NaN of the same sign, overflow rounds to ±Inf, subnormals round normally).
    /// </summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void ConvertF32ToBF16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        ref uint src = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort dst = ref MemoryMarshal.GetReference(destination);
        int n = source.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
            {
                var lower = RoundToBF16(Vector512.LoadUnsafe(ref src, (nuint)i));
                var upper = RoundToBF16(Vector512.LoadUnsafe(ref src, (nuint)(i + Vector512<uint>.Count)));
                Vector512.Narrow(lower, upper).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var lower = RoundToBF16(Vector256.LoadUnsafe(ref src, (nuint)i));
                var upper = RoundToBF16(Vector256.LoadUnsafe(ref src, (nuint)(i + Vector256<uint>.Count)));
                Vector256.Narrow(lower, upper).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                var lower = RoundToBF16(Vector128.LoadUnsafe(ref src, (nuint)i));
                var upper = RoundToBF16(Vector128.LoadUnsafe(ref src, (nuint)(i + Vector128<uint>.Count)));
                Vector128.Narrow(lower, upper).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref dst, i) = SingleToBF16(BitConverter.UInt32BitsToSingle(Unsafe.Add(ref src, i)));
    }

    /// <summary>F16 to BF16 bits: exact widening to F32, then one round-to-nearest-even step (no double rounding).</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void ConvertF16ToBF16(ReadOnlySpan<ushort> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        Span<float> staging = stackalloc float[StagingLength];
        for (int i = 0; i < source.Length; i += StagingLength)
        {
            int n = Math.Min(StagingLength, source.Length - i);
            ConvertF16ToF32(source.Slice(i, n), staging);
            ConvertF32ToBF16(staging[..n], destination.Slice(i, n));
        }
    }

    /// <summary>BF16 to F16 bits: exact widening to F32, then one round-to-nearest-even step (no double rounding).</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void ConvertBF16ToF16(ReadOnlySpan<ushort> source, Span<ushort> destination)
    {
        CheckDestination(source.Length, destination.Length);
        Span<float> staging = stackalloc float[StagingLength];
        for (int i = 0; i < source.Length; i += StagingLength)
        {
            int n = Math.Min(StagingLength, source.Length - i);
            ConvertBF16ToF32(source.Slice(i, n), staging);
            ConvertF32ToF16(staging[..n], destination.Slice(i, n));
        }
    }

    /// <summary>
    /// Widens raw elements of a float dtype (F32, F16 or BF16) to F32: <paramref name="destination"/>.Length elements
    /// are read from <paramref name="source"/>, which must hold exactly that many elements of <paramref name="sourceType"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The dtype is not a float type, or the lengths do not match.</exception>
    public static void ConvertToF32(DType sourceType, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (source.Length != (long)destination.Length * ElementSize(sourceType))
            throw new ArgumentException($"{source.Length} bytes of {sourceType} do not hold {destination.Length} elements", nameof(source));
        switch (sourceType)
        {
            case DType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case DType.F16: ConvertF16ToF32(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            default: ConvertBF16ToF32(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
        }
    }

    /// <summary>
    /// Narrows F32 to raw elements of a float dtype (F32 copies, F16 and BF16 round to nearest even):
    /// <paramref name="destination"/> must hold exactly <paramref name="source"/>.Length elements of <paramref name="destinationType"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The dtype is not a float type, or the lengths do not match.</exception>
    public static void ConvertFromF32(ReadOnlySpan<float> source, DType destinationType, Span<byte> destination)
    {
        if (destination.Length != (long)source.Length * ElementSize(destinationType))
            throw new ArgumentException($"{destination.Length} bytes of {destinationType} do not hold {source.Length} elements", nameof(destination));
        switch (destinationType)
        {
            case DType.F32: source.CopyTo(MemoryMarshal.Cast<byte, float>(destination)); break;
            case DType.F16: ConvertF32ToF16(source, MemoryMarshal.Cast<byte, ushort>(destination)); break;
            default: ConvertF32ToBF16(source, MemoryMarshal.Cast<byte, ushort>(destination)); break;
        }
    }

    // BF16 bits (in the low half of each lane) of F32 bits, round-to-nearest-even; NaN keeps sign and payload top, quieted.
    // The add cannot wrap: NaN inputs (the only ones above 0xFF80_0000) take the other branch of the select.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> RoundToBF16(Vector512<uint> bits)
    {
        var isNaN = Vector512.GreaterThan((bits & Vector512.Create(0x7FFF_FFFFu)).AsInt32(), Vector512.Create(0x7F80_0000)).AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var quiet = (bits >> 16) | Vector512.Create(0x0040u);
        return Vector512.ConditionalSelect(isNaN, quiet, rounded);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> RoundToBF16(Vector256<uint> bits)
    {
        var isNaN = Vector256.GreaterThan((bits & Vector256.Create(0x7FFF_FFFFu)).AsInt32(), Vector256.Create(0x7F80_0000)).AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        var quiet = (bits >> 16) | Vector256.Create(0x0040u);
        return Vector256.ConditionalSelect(isNaN, quiet, rounded);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> RoundToBF16(Vector128<uint> bits)
    {
        var isNaN = Vector128.GreaterThan((bits & Vector128.Create(0x7FFF_FFFFu)).AsInt32(), Vector128.Create(0x7F80_0000)).AsUInt32();
        var rounded = (bits + Vector128.Create(0x7FFFu) + ((bits >> 16) & Vector128<uint>.One)) >> 16;
        var quiet = (bits >> 16) | Vector128.Create(0x0040u);
        return Vector128.ConditionalSelect(isNaN, quiet, rounded);
    }

    private static int ElementSize(DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.F16 or DType.BF16 => 2,
        _ => throw new ArgumentException($"{dtype} is not a float dtype (F32, F16 or BF16)", nameof(dtype)),
    };

    private static void CheckDestination(int sourceLength, int destinationLength)
    {
        if (destinationLength < sourceLength)
            throw new ArgumentException($"destination holds {destinationLength} elements, source has {sourceLength}", "destination");
    }
}
