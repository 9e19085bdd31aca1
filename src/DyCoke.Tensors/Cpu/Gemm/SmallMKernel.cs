// The small-M Linear kernel (AVX-512): one pass multiplies a chunk of up to 16 x rows by 16 W rows read in place, and a
// permute network turns the 16 accumulators into output rows: reducing lanes and transposing in the same steps.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>
/// Accumulator j (W row n0 + j) holds, in lane m·G + r, the partial dot product of x row m over the k ≡ r (mod G)
/// terms (see <see cref="ILaneGroup"/>). Every W element loaded feeds all C = 16/G x rows of the chunk, so a decode
/// batch of 16 costs one FMA per W element instead of 16, without packing W; and no per-output horizontal sum is
/// needed: log2(16) exchange steps of two permutes each (plus an add where lanes are reduced) yield y[m, n0 .. n0+16)
/// for every m as whole vectors.
/// </summary>
internal static unsafe class SmallMKernel
{
    /// <summary>W rows per block (one per accumulator).</summary>
    public const int Cols = 16;

    /// <summary>Most x rows one call handles (a chunk of C rows for each set bit of M).</summary>
    public const int MaxRows = 16;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>
    /// y[m, j] = Σ_k x[m, k]·W[j, k] (+ bias[j]) for the C = 16/G rows of one interleaved x chunk and the 16 W rows at
    /// <paramref name="w"/> (F32, <paramref name="rowBytes"/> apart, each ≥ steps·G long), written for j &lt; cols.
    /// xg holds steps·16 floats; y rows are <paramref name="ldy"/> floats apart; bias is null or [cols].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block<TG>(float* xg, int steps, byte* w, nint rowBytes, float* bias, float* y, nint ldy, int cols)
        where TG : unmanaged, ILaneGroup
    {
        int lg = TG.Log2G;
        // Four row pointers with index offsets 0, rs, 2·rs, 3·rs keep the 16 row streams in eight registers.
        nint rs = rowBytes, rs3 = 3 * rowBytes;
        byte* b0 = w, b1 = w + 4 * rs, b2 = w + 8 * rs, b3 = w + 12 * rs;
        nint stepBytes = sizeof(float) << lg;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        float* xEnd = xg + (nint)steps * 16;
        for (; xg < xEnd; xg += 16)
        {
            Vector512<float> xv = Vector512.Load(xg);
            a0 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b0), a0);
            a1 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b0 + rs), a1);
            a2 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b0 + 2 * rs), a2);
            a3 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b0 + rs3), a3);
            a4 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b1), a4);
            a5 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b1 + rs), a5);
            a6 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b1 + 2 * rs), a6);
            a7 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b1 + rs3), a7);
            a8 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b2), a8);
            a9 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b2 + rs), a9);
            a10 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b2 + 2 * rs), a10);
            a11 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b2 + rs3), a11);
            a12 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b3), a12);
            a13 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b3 + rs), a13);
            a14 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b3 + 2 * rs), a14);
            a15 = Avx512F.FusedMultiplyAdd(xv, TG.Broadcast(b3 + rs3), a15);
            b0 += stepBytes; b1 += stepBytes; b2 += stepBytes; b3 += stepBytes;
        }
        Network(lg, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7, ref a8, ref a9, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
        Put(0, lg, a0, y, ldy, bias, cols);
        Put(1, lg, a1, y, ldy, bias, cols);
        Put(2, lg, a2, y, ldy, bias, cols);
        Put(3, lg, a3, y, ldy, bias, cols);
        Put(4, lg, a4, y, ldy, bias, cols);
        Put(5, lg, a5, y, ldy, bias, cols);
        Put(6, lg, a6, y, ldy, bias, cols);
        Put(7, lg, a7, y, ldy, bias, cols);
        Put(8, lg, a8, y, ldy, bias, cols);
        Put(9, lg, a9, y, ldy, bias, cols);
        Put(10, lg, a10, y, ldy, bias, cols);
        Put(11, lg, a11, y, ldy, bias, cols);
        Put(12, lg, a12, y, ldy, bias, cols);
        Put(13, lg, a13, y, ldy, bias, cols);
        Put(14, lg, a14, y, ldy, bias, cols);
        Put(15, lg, a15, y, ldy, bias, cols);
    }

    /// <summary>dst[k·16 + m] = x[m·ldx + k] for m, k in [0, 16): one 16×16 block of x transposed.</summary>
    public static void Transpose16(float* x, nint ldx, float* dst)
    {
        Vector512<float> a0 = Vector512.Load(x + 0 * ldx);
        Vector512<float> a1 = Vector512.Load(x + 1 * ldx);
        Vector512<float> a2 = Vector512.Load(x + 2 * ldx);
        Vector512<float> a3 = Vector512.Load(x + 3 * ldx);
        Vector512<float> a4 = Vector512.Load(x + 4 * ldx);
        Vector512<float> a5 = Vector512.Load(x + 5 * ldx);
        Vector512<float> a6 = Vector512.Load(x + 6 * ldx);
        Vector512<float> a7 = Vector512.Load(x + 7 * ldx);
        Vector512<float> a8 = Vector512.Load(x + 8 * ldx);
        Vector512<float> a9 = Vector512.Load(x + 9 * ldx);
        Vector512<float> a10 = Vector512.Load(x + 10 * ldx);
        Vector512<float> a11 = Vector512.Load(x + 11 * ldx);
        Vector512<float> a12 = Vector512.Load(x + 12 * ldx);
        Vector512<float> a13 = Vector512.Load(x + 13 * ldx);
        Vector512<float> a14 = Vector512.Load(x + 14 * ldx);
        Vector512<float> a15 = Vector512.Load(x + 15 * ldx);
        Network(0, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7, ref a8, ref a9, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
        Vector512.Store(a0, dst + 0);
        Vector512.Store(a1, dst + 16);
        Vector512.Store(a2, dst + 32);
        Vector512.Store(a3, dst + 48);
        Vector512.Store(a4, dst + 64);
        Vector512.Store(a5, dst + 80);
        Vector512.Store(a6, dst + 96);
        Vector512.Store(a7, dst + 112);
        Vector512.Store(a8, dst + 128);
        Vector512.Store(a9, dst + 144);
        Vector512.Store(a10, dst + 160);
        Vector512.Store(a11, dst + 176);
        Vector512.Store(a12, dst + 192);
        Vector512.Store(a13, dst + 208);
        Vector512.Store(a14, dst + 224);
        Vector512.Store(a15, dst + 240);
    }

    /// <summary>
    /// Exchange step p swaps lane bit p with accumulator-index bit p for every pair (j, j + 2^p); for p &lt; lg the
    /// two halves are added instead, which sums lanes r and r ^ 2^p of both accumulators. After the four steps
    /// accumulator m·2^lg holds output row m in lane order j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Network(int lg,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3,
        ref Vector512<float> a4, ref Vector512<float> a5, ref Vector512<float> a6, ref Vector512<float> a7,
        ref Vector512<float> a8, ref Vector512<float> a9, ref Vector512<float> a10, ref Vector512<float> a11,
        ref Vector512<float> a12, ref Vector512<float> a13, ref Vector512<float> a14, ref Vector512<float> a15)
    {
        // Lane bit 0 against accumulator bit 0.
        if (Live(0, 0, lg)) Step(0, 0 < lg, ref a0, ref a1);
        if (Live(2, 0, lg)) Step(0, 0 < lg, ref a2, ref a3);
        if (Live(4, 0, lg)) Step(0, 0 < lg, ref a4, ref a5);
        if (Live(6, 0, lg)) Step(0, 0 < lg, ref a6, ref a7);
        if (Live(8, 0, lg)) Step(0, 0 < lg, ref a8, ref a9);
        if (Live(10, 0, lg)) Step(0, 0 < lg, ref a10, ref a11);
        if (Live(12, 0, lg)) Step(0, 0 < lg, ref a12, ref a13);
        if (Live(14, 0, lg)) Step(0, 0 < lg, ref a14, ref a15);
        // Lane bit 1 against accumulator bit 1.
        if (Live(0, 1, lg)) Step(1, 1 < lg, ref a0, ref a2);
        if (Live(1, 1, lg)) Step(1, 1 < lg, ref a1, ref a3);
        if (Live(4, 1, lg)) Step(1, 1 < lg, ref a4, ref a6);
        if (Live(5, 1, lg)) Step(1, 1 < lg, ref a5, ref a7);
        if (Live(8, 1, lg)) Step(1, 1 < lg, ref a8, ref a10);
        if (Live(9, 1, lg)) Step(1, 1 < lg, ref a9, ref a11);
        if (Live(12, 1, lg)) Step(1, 1 < lg, ref a12, ref a14);
        if (Live(13, 1, lg)) Step(1, 1 < lg, ref a13, ref a15);
        // Lane bit 2 against accumulator bit 2.
        if (Live(0, 2, lg)) Step(2, 2 < lg, ref a0, ref a4);
        if (Live(1, 2, lg)) Step(2, 2 < lg, ref a1, ref a5);
        if (Live(2, 2, lg)) Step(2, 2 < lg, ref a2, ref a6);
        if (Live(3, 2, lg)) Step(2, 2 < lg, ref a3, ref a7);
        if (Live(8, 2, lg)) Step(2, 2 < lg, ref a8, ref a12);
        if (Live(9, 2, lg)) Step(2, 2 < lg, ref a9, ref a13);
        if (Live(10, 2, lg)) Step(2, 2 < lg, ref a10, ref a14);
        if (Live(11, 2, lg)) Step(2, 2 < lg, ref a11, ref a15);
        // Lane bit 3 against accumulator bit 3.
        if (Live(0, 3, lg)) Step(3, 3 < lg, ref a0, ref a8);
        if (Live(1, 3, lg)) Step(3, 3 < lg, ref a1, ref a9);
        if (Live(2, 3, lg)) Step(3, 3 < lg, ref a2, ref a10);
        if (Live(3, 3, lg)) Step(3, 3 < lg, ref a3, ref a11);
        if (Live(4, 3, lg)) Step(3, 3 < lg, ref a4, ref a12);
        if (Live(5, 3, lg)) Step(3, 3 < lg, ref a5, ref a13);
        if (Live(6, 3, lg)) Step(3, 3 < lg, ref a6, ref a14);
        if (Live(7, 3, lg)) Step(3, 3 < lg, ref a7, ref a15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Live(int j, int p, int lg) => j % (1 << Math.Min(lg, p)) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(int p, bool reduce, ref Vector512<float> a, ref Vector512<float> b)
    {
        if (reduce)
        {
            // A blend takes the place of one permute: permutes run on a single port, blends on two.
            Vector512<float> kept = Vector512.ConditionalSelect(BitMask(p), b, a);
            a = kept + Avx512F.PermuteVar16x32x2(a, SwapIndex(p), b);
        }
        else
        {
            Vector512<float> lo = Avx512F.PermuteVar16x32x2(a, LowIndex(p), b);
            b = Avx512F.PermuteVar16x32x2(a, HighIndex(p), b);
            a = lo;
        }
    }

    // All ones in the lanes whose bit p is set.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BitMask(int p) => p switch
    {
        0 => Vector512.Create(0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1).AsSingle(),
        1 => Vector512.Create(0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1).AsSingle(),
        2 => Vector512.Create(0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, -1, -1, -1, -1).AsSingle(),
        _ => Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1).AsSingle(),
    };

    // Lane l takes lane l ^ 2^p of a where bit p of l is clear, of b where it is set.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> SwapIndex(int p) => p switch
    {
        0 => Vector512.Create(1, 16, 3, 18, 5, 20, 7, 22, 9, 24, 11, 26, 13, 28, 15, 30),
        1 => Vector512.Create(2, 3, 16, 17, 6, 7, 20, 21, 10, 11, 24, 25, 14, 15, 28, 29),
        2 => Vector512.Create(4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 24, 25, 26, 27),
        _ => Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23),
    };

    // Lanes with bit p clear keep a's lane, the others take b's lane with bit p flipped (indices ≥ 16 select b).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> LowIndex(int p) => p switch
    {
        0 => Vector512.Create(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
        1 => Vector512.Create(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
        2 => Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
        _ => Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
    };

    // Lanes with bit p clear take a's lane with bit p flipped, the others keep b's lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> HighIndex(int p) => p switch
    {
        0 => Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31),
        1 => Vector512.Create(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31),
        2 => Vector512.Create(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31),
        _ => Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31),
    };

    /// <summary>Stores accumulator j as output row j / 2^lg when it holds one (j a multiple of 2^lg).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(int j, int lg, Vector512<float> v, float* y, nint ldy, float* bias, int cols)
    {
        if ((j & ((1 << lg) - 1)) != 0) return;
        float* row = y + (j >> lg) * ldy; // [cols]
        if (cols == Cols)
        {
            if (bias != null) v += Vector512.Load(bias);
            Vector512.Store(v, row);
            return;
        }
        // A ragged last block: the lanes past cols came from zero rows and are dropped.
        for (int i = 0; i < cols; i++)
            row[i] = bias != null ? v.GetElement(i) + bias[i] : v.GetElement(i);
    }
}
