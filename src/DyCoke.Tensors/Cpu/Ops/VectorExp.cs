// AVX-512 exponentials shared by the CPU kernels that need one per element in a hot loop (decode attention's softmax,
// the MLP's SiLU): a Cody–Waite style split into 2^n · 2^f with |f| ≤ 1/2, a degree-6 fit of 2^f, and vscalefps.
// TensorPrimitives' Sigmoid plus two products took 1.6–2 ns per element on the demo MLP, ~3× the fused pass
// (docs/decisions.md).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu;

internal static class VectorExp
{
    /// <summary>Whether these helpers can run: AVX-512F with 512-bit vectors accelerated.</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    // log2(e) as a float plus the float nearest to the rest, so g·log2(e) − n is formed with two FMAs and no rounding
    // of the product (a plain product would lose up to 2^-20 of the exponent at |g| = 12: ~7e-7 relative in e^g).
    private const float Log2EHigh = 1.44269502f;
    private const float Log2ELow = 1.925963e-8f;

    /// <summary>2^f for |f| ≤ 1/2: near-minimax coefficients, relative error 2.6e-9 before fp32 rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pow2Fraction(Vector512<float> f)
    {
        var p = Vector512.Create(1.534581242594868e-4f);
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(1.3399930903688073e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(9.618489071726799e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(5.550328642129898e-2f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(0.24022646248340607f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(0.6931471824645996f));
        return Vector512.FusedMultiplyAdd(p, f, Vector512.Create(1f));
    }

    /// <summary>2^x for x ≤ 0, clamped below at −160 (where fp32 gives 0 anyway, and −∞ padding stays out of the fit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp2NonPositive(Vector512<float> x)
    {
        // vmaxps returns its second operand when either is NaN: a NaN stays NaN instead of vanishing.
        x = Avx512F.Max(Vector512.Create(-160f), x);
        var n = Avx512F.RoundScale(x, 0); // nearest integer
        return Avx512F.Scale(Pow2Fraction(x - n), n);
    }

    /// <summary>
    /// e^(−g), with −g·log2(e) clamped to [−125, 125] so the result is a normal number (≥ 2^-125, ≤ 2^125): callers
    /// add it to 1 and divide by it, where values past either end no longer change a fp32 result's meaning.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNegated(Vector512<float> g)
    {
        var limit = Vector512.Create(125f);
        var n = Avx512F.RoundScale(Avx512F.Min(limit, Avx512F.Max(-limit, g * Vector512.Create(-Log2EHigh))), 0);
        // f = −g·log2(e) − n to ~1e-9, from the clamped n (|f| ≤ 1/2 unless clamped; the fit still behaves to |f| ≈ 1).
        var f = Vector512.FusedMultiplyAdd(g, Vector512.Create(-Log2EHigh), -n);
        f = Vector512.FusedMultiplyAdd(g, Vector512.Create(-Log2ELow), f);
        f = Avx512F.Min(Vector512.Create(0.5f), Avx512F.Max(Vector512.Create(-0.5f), f));
        return Avx512F.Scale(Pow2Fraction(f), n);
    }
}
