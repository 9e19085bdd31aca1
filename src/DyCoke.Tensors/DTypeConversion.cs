// Exact element conversions between F32 and the 16-bit float formats (round-to-nearest-even, NaN, Inf, subnormals).
using System.Runtime.CompilerServices;

namespace DyCoke.Tensors;

/// <summary>
/// Scalar conversions. F16 uses <see cref="Half"/> (IEEE binary16; the runtime's conversions round to nearest even
/// and keep subnormals). BF16 has no .NET type: it is the top 16 bits of an F32, stored as <see cref="ushort"/>.
/// </summary>
public static class DTypeConversion
{
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort SingleToF16(float value) => BitConverter.HalfToUInt16Bits((Half)value);
}
