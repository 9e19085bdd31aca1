// How the small-M kernel lays one chunk of x rows across the 16 lanes of a Vector512: C = 16/G rows, each holding G
// consecutive k elements, and the matching W broadcasts; plus the routine that interleaves x into that layout.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DyCoke.Tensors.Cpu.Gemm;

/// <summary>
/// Lane l = m·G + r of an interleaved x step s holds x[m, s·G + r]; <see cref="Broadcast"/> returns W[n, s·G .. s·G + G)
/// repeated 16/G times, so one FMA advances the dot products of every x row of the chunk against one W row.
/// Only used when <see cref="SmallMKernel.IsSupported"/>.
/// </summary>
internal unsafe interface ILaneGroup
{
    /// <summary>log2 of G, the k elements per row per lane group (0..4).</summary>
    static abstract int Log2G { get; }

    /// <summary>G consecutive F32 weights at <paramref name="w"/> repeated across the vector.</summary>
    static abstract Vector512<float> Broadcast(byte* w);
}

/// <summary>16 x rows, one k per step: W is a scalar broadcast.</summary>
internal readonly unsafe struct LaneGroup1 : ILaneGroup
{
    public static int Log2G => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(byte* w) => Vector512.Create(*(float*)w);
}

/// <summary>8 x rows, two k per step: a 64-bit broadcast repeats the pair.</summary>
internal readonly unsafe struct LaneGroup2 : ILaneGroup
{
    public static int Log2G => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(byte* w) => Vector512.Create(*(double*)w).AsSingle();
}

/// <summary>4 x rows, four k per step.</summary>
internal readonly unsafe struct LaneGroup4 : ILaneGroup
{
    public static int Log2G => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(byte* w) => Avx512F.BroadcastVector128ToVector512((float*)w);
}

/// <summary>2 x rows, eight k per step.</summary>
internal readonly unsafe struct LaneGroup8 : ILaneGroup
{
    public static int Log2G => 3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(byte* w) => Avx512F.BroadcastVector256ToVector512((double*)w).AsSingle();
}

/// <summary>1 x row, sixteen k per step: a plain load (the classic dot product).</summary>
internal readonly unsafe struct LaneGroup16 : ILaneGroup
{
    public static int Log2G => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(byte* w) => Vector512.Load((float*)w);
}

internal static unsafe class LaneInterleave
{
    /// <summary>
    /// Writes x[m0 .. m0 + C) in the layout of lane group G = 16/C: dst[s·16 + m·G + r] = x[m0 + m, s·G + r] for
    /// s in [0, kPad/G), zero where s·G + r ≥ K. x is [M, K] row-major; dst holds C·kPad floats. kPad is a multiple of 16.
    /// </summary>
    public static void Chunk(float* x, int k, int kPad, int m0, int c, float* dst)
    {
        float* rows = x + (nint)m0 * k; // [C, K]
        int g = 16 / c;
        int kFull = k & ~15;
        if (c == 16)
        {
            // One k per step is x transposed: 16×16 blocks through the permute network, the tail element by element.
            for (int k0 = 0; k0 < kFull; k0 += 16)
                SmallMKernel.Transpose16(rows + k0, k, dst + (nint)k0 * 16);
            for (int kk = kFull; kk < kPad; kk++)
                for (int m = 0; m < 16; m++)
                    dst[(nint)kk * 16 + m] = kk < k ? rows[(nint)m * k + kk] : 0f;
            return;
        }
        int steps = kPad / g;
        for (int m = 0; m < c; m++)
        {
            float* src = rows + (nint)m * k; // [K]
            float* d = dst + m * g;
            int s = 0;
            // Whole groups: copy G floats at once (a 64-bit move for G = 2, a vector for G ≥ 4).
            for (; (s + 1) * g <= k; s++)
            {
                float* from = src + (nint)s * g, to = d + (nint)s * 16;
                switch (g)
                {
                    case 2: *(double*)to = *(double*)from; break;
                    case 4: Vector128.Store(Vector128.Load(from), to); break;
                    case 8: Vector256.Store(Vector256.Load(from), to); break;
                    default: Vector512.Store(Vector512.Load(from), to); break;
                }
            }
            for (; s < steps; s++)
                for (int r = 0; r < g; r++)
                {
                    int kk = s * g + r;
                    d[(nint)s * 16 + r] = kk < k ? src[kk] : 0f;
                }
        }
    }
}
