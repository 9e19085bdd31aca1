// Exact F16 → F32 widening on vectors. .NET 10 exposes no F16C/AVX512-FP16 conversion intrinsic, so the IEEE
// binary16 fields are rebuilt with integer ops; subnormals are renormalised without creating F32 denormals.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>
/// Widens F16 bit patterns (zero-extended to 32-bit lanes) to F32, bit-exact with <see cref="Half"/> to
/// <see cref="float"/>: ±0, subnormals, normals, ±Inf and NaN (payload kept).
/// </summary>
internal static class HalfWidening
{
    // Half exponent/mantissa shifted into F32 position (<< 13); exponent field e lands at bit 23.
    private const uint ExponentRebias = (127 - 15) << 23; // normal numbers: F32 exponent = e + 112
    private const uint SubnormalBase = 113u << 23;        // 2^-14 as F32 bits: see Widen* below
    private const uint SpecialExponent = 31u << 23;       // half exponent 31 (Inf/NaN) after the shift
    private const uint F32ExponentMask = 0x7F80_0000;

    // Subnormal halves are m·2^-24. Adding their mantissa to 2^-14 gives 2^-14 + m·2^-24 exactly, and subtracting
    // 2^-14 again is exact (Sterbenz), so the result never passes through an F32 denormal (which can trap to a slow
    // microcode assist on x86 when fed to a multiply).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen(Vector512<uint> h)
    {
        Vector512<uint> sign = (h & Vector512.Create(0x8000u)) << 16;
        Vector512<uint> bits = (h & Vector512.Create(0x7FFFu)) << 13;
        Vector512<uint> normal = bits + Vector512.Create(ExponentRebias);
        Vector512<uint> subnormal = ((bits + Vector512.Create(SubnormalBase)).AsSingle() - Vector512.Create(SubnormalBase).AsSingle()).AsUInt32();
        Vector512<uint> special = bits | Vector512.Create(F32ExponentMask);
        Vector512<int> signedBits = bits.AsInt32();
        Vector512<uint> isSubnormal = Vector512.LessThan(signedBits, Vector512.Create(1 << 23)).AsUInt32();
        Vector512<uint> isSpecial = Vector512.GreaterThanOrEqual(signedBits, Vector512.Create((int)SpecialExponent)).AsUInt32();
        Vector512<uint> magnitude = Vector512.ConditionalSelect(isSubnormal, subnormal, Vector512.ConditionalSelect(isSpecial, special, normal));
        return (magnitude | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Widen(Vector256<uint> h)
    {
        Vector256<uint> sign = (h & Vector256.Create(0x8000u)) << 16;
        Vector256<uint> bits = (h & Vector256.Create(0x7FFFu)) << 13;
        Vector256<uint> normal = bits + Vector256.Create(ExponentRebias);
        Vector256<uint> subnormal = ((bits + Vector256.Create(SubnormalBase)).AsSingle() - Vector256.Create(SubnormalBase).AsSingle()).AsUInt32();
        Vector256<uint> special = bits | Vector256.Create(F32ExponentMask);
        Vector256<int> signedBits = bits.AsInt32();
        Vector256<uint> isSubnormal = Vector256.LessThan(signedBits, Vector256.Create(1 << 23)).AsUInt32();
        Vector256<uint> isSpecial = Vector256.GreaterThanOrEqual(signedBits, Vector256.Create((int)SpecialExponent)).AsUInt32();
        Vector256<uint> magnitude = Vector256.ConditionalSelect(isSubnormal, subnormal, Vector256.ConditionalSelect(isSpecial, special, normal));
        return (magnitude | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Widen(Vector128<uint> h)
    {
        Vector128<uint> sign = (h & Vector128.Create(0x8000u)) << 16;
        Vector128<uint> bits = (h & Vector128.Create(0x7FFFu)) << 13;
        Vector128<uint> normal = bits + Vector128.Create(ExponentRebias);
        Vector128<uint> subnormal = ((bits + Vector128.Create(SubnormalBase)).AsSingle() - Vector128.Create(SubnormalBase).AsSingle()).AsUInt32();
        Vector128<uint> special = bits | Vector128.Create(F32ExponentMask);
        Vector128<int> signedBits = bits.AsInt32();
        Vector128<uint> isSubnormal = Vector128.LessThan(signedBits, Vector128.Create(1 << 23)).AsUInt32();
        Vector128<uint> isSpecial = Vector128.GreaterThanOrEqual(signedBits, Vector128.Create((int)SpecialExponent)).AsUInt32();
        Vector128<uint> magnitude = Vector128.ConditionalSelect(isSubnormal, subnormal, Vector128.ConditionalSelect(isSpecial, special, normal));
        return (magnitude | sign).AsSingle();
    }
}
