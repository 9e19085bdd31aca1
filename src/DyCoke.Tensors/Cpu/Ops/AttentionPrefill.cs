// CPU variable-length prefill attention (causal or full, GQA): flash-style tiling over keys with an online max-shifted
// softmax in fp32, so scratch stays O(query block × key tile) however long the sequence (SigLIP 729, Qwen2 ~6.3k tokens).
using System.Buffers;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    // Keys per tile: the scores of one tile ([KeyTile, Bq]) and the key/value rows it reads stay in L1.
    private const int PrefillKeyTile = 64;

    /// <summary>
    /// out[i, h] = Σ_j softmax_j(q[i, h]·k[j, g]·scale)·v[j, g] with g = h / (H / Hkv), j ranging over the query's own
    /// sequence (cuSeqLens) and, when causal, only j ≤ i. q, out [T, H, D]; k, v [T, Hkv, D]; cuSeqLens I32 [B + 1].
    /// Empty sequences are allowed. Deterministic: the result does not depend on the thread count.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not an F32 (I32 for cuSeqLens) CPU tensor, the shapes disagree,
    /// H is not a multiple of Hkv, or cuSeqLens does not rise from 0 to T.</exception>
    public unsafe void AttentionPrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, bool causal, float scale, Tensor output)
    {
        ValidatePrefill(q, k, v, cuSeqLens, output);
        int h = (int)q.Shape[1], hkv = (int)k.Shape[1], d = (int)q.Shape[2];
        int bq = AttentionSimd.QueryBlock;
        ReadOnlySpan<int> cu = cuSeqLens.Span<int>(); // [B + 1]

        int blocks = 0, longest = 0;
        for (int b = 0; b + 1 < cu.Length; b++)
        {
            int n = cu[b + 1] - cu[b];
            blocks += (n + bq - 1) / bq;
            longest = Math.Max(longest, n);
        }
        if (blocks == 0 || h == 0) return;

        // Per query block: its first row, one past its last row, and its sequence's start and end (global rows).
        int[] table = ArrayPool<int>.Shared.Rent(4 * blocks); // [blocks, 4]
        try
        {
            int next = 0;
            for (int b = 0; b + 1 < cu.Length; b++)
            {
                for (int r = cu[b]; r < cu[b + 1]; r += bq, next++)
                {
                    table[4 * next] = r;
                    table[4 * next + 1] = Math.Min(r + bq, cu[b + 1]);
                    table[4 * next + 2] = cu[b];
                    table[4 * next + 3] = cu[b + 1];
                }
            }
            var problem = new PrefillProblem((float*)q.Pointer, (float*)k.Pointer, (float*)v.Pointer, (float*)output.Pointer, h, hkv, d, scale, causal, bq);
            long work = (long)bq * (causal ? (longest + 1) / 2 : longest) * d * 4;
            ParallelFor(blocks * h, work, (start, end) => RunPrefillItems(problem, table, start, end));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(table);
        }
    }

    private readonly unsafe struct PrefillProblem(float* q, float* k, float* v, float* output, int h, int hkv, int d, float scale, bool causal, int bq)
    {
        public readonly float* Q = q; // [T, H, D]
        public readonly float* K = k; // [T, Hkv, D]
        public readonly float* V = v; // [T, Hkv, D]
        public readonly float* Output = output; // [T, H, D]
        public readonly int H = h, Hkv = hkv, D = d, Bq = bq;
        public readonly float Scale = scale;
        public readonly bool Causal = causal;
    }

    private readonly record struct PrefillBlock(int QueryStart, int QueryEnd, int SeqStart, int SeqEnd);

    /// <summary>Work items [start, end) of blocks × H, item = block·H + head: the heads of one block run together.</summary>
    private static unsafe void RunPrefillItems(in PrefillProblem p, int[] table, int start, int end)
    {
        int d = p.D, bq = p.Bq;
        // One scratch buffer per chunk: scaled q transposed [D, Bq], scores [KeyTile, Bq], acc transposed [D, Bq],
        // running max, running sum and rescale factors [Bq] each.
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * d * bq + PrefillKeyTile * bq + 3 * bq);
        fixed (float* s = scratch)
        {
            var buffers = new PrefillScratch(s, d, bq);
            for (int item = start; item < end; item++)
            {
                int block = item / p.H, head = item % p.H;
                var rows = new PrefillBlock(table[4 * block], table[4 * block + 1], table[4 * block + 2], table[4 * block + 3]);
                PrefillOneBlock(p, rows, head, buffers);
            }
        }
        ArrayPool<float>.Shared.Return(scratch);
    }

    private readonly unsafe struct PrefillScratch(float* s, int d, int bq)
    {
        public readonly float* QT = s; // [D, Bq]
        public readonly float* ScoresT = s + d * bq; // [KeyTile, Bq]
        public readonly float* AccT = s + d * bq + PrefillKeyTile * bq; // [D, Bq]
        public readonly float* Max = s + 2 * d * bq + PrefillKeyTile * bq; // [Bq]
        public readonly float* Sum = s + 2 * d * bq + PrefillKeyTile * bq + bq; // [Bq]
        public readonly float* Rescale = s + 2 * d * bq + PrefillKeyTile * bq + 2 * bq; // [Bq]
    }

    private static unsafe void PrefillOneBlock(in PrefillProblem p, PrefillBlock rows, int head, in PrefillScratch x)
    {
        int d = p.D, bq = p.Bq, nq = rows.QueryEnd - rows.QueryStart;
        int kvHead = head / (p.H / p.Hkv);
        nint kvStride = (nint)p.Hkv * d; // floats between consecutive tokens' rows of one kv head

        // Lanes past the block's last query hold q = 0: their scores stay finite and their outputs are dropped.
        new Span<float>(x.QT, d * bq).Clear();
        for (int r = 0; r < nq; r++)
        {
            float* src = p.Q + ((long)(rows.QueryStart + r) * p.H + head) * d;
            for (int i = 0; i < d; i++) x.QT[i * bq + r] = src[i] * p.Scale;
        }
        new Span<float>(x.AccT, d * bq).Clear();
        new Span<float>(x.Max, bq).Fill(float.NegativeInfinity);
        new Span<float>(x.Sum, bq).Clear();

        int keyEnd = p.Causal ? rows.QueryEnd : rows.SeqEnd;
        for (int j0 = rows.SeqStart; j0 < keyEnd; j0 += PrefillKeyTile)
        {
            int nk = Math.Min(PrefillKeyTile, keyEnd - j0);
            float* kTile = p.K + (long)j0 * kvStride + (long)kvHead * d; // nk rows, stride kvStride
            float* vTile = p.V + (long)j0 * kvStride + (long)kvHead * d;
            AttentionSimd.ScoresTransposed(kTile, kvStride, nk, x.QT, x.ScoresT, d, bq);
            if (p.Causal && j0 + nk - 1 > rows.QueryStart)
                MaskFutureKeys(x.ScoresT, nk, bq, j0 - rows.QueryStart);
            AttentionSimd.OnlineSoftmaxTransposed(x.ScoresT, nk, bq, x.Max, x.Sum, x.Rescale);
            AttentionSimd.AccumulateTransposed(x.AccT, x.Rescale, vTile, kvStride, nk, x.ScoresT, d, bq);
        }

        for (int r = 0; r < nq; r++)
        {
            float* dst = p.Output + ((long)(rows.QueryStart + r) * p.H + head) * d;
            float inv = 1f / x.Sum[r];
            for (int i = 0; i < d; i++) dst[i] = x.AccT[i * bq + r] * inv;
        }
    }

    /// <summary>sT[c, r] = −∞ where key c of the tile comes after query r (key offset keyOffset + c &gt; r).</summary>
    private static unsafe void MaskFutureKeys(float* sT, int nk, int bq, int keyOffset)
    {
        for (int c = 0; c < nk; c++)
        {
            int hidden = Math.Clamp(keyOffset + c, 0, bq); // queries r < keyOffset + c cannot see key c
            for (int r = 0; r < hidden; r++) sT[c * bq + r] = float.NegativeInfinity;
        }
    }

    private static void ValidatePrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, Tensor output)
    {
        (Tensor Tensor, string Name)[] floats = [(q, nameof(q)), (k, nameof(k)), (v, nameof(v)), (output, nameof(output))];
        foreach (var (tensor, name) in floats)
        {
            TensorCheck.OnDevice(tensor, DeviceKind.Cpu, name);
            TensorCheck.Is(tensor, DType.F32, name);
            TensorCheck.Rank(tensor, 3, name);
        }
        TensorCheck.OnDevice(cuSeqLens, DeviceKind.Cpu, nameof(cuSeqLens));
        TensorCheck.Is(cuSeqLens, DType.I32, nameof(cuSeqLens));
        TensorCheck.Rank(cuSeqLens, 1, nameof(cuSeqLens));
        long t = q.Shape[0], h = q.Shape[1], d = q.Shape[2], hkv = k.Shape[1];
        if (k.Shape[0] != t || k.Shape[2] != d)
            throw new ArgumentException($"k has shape {k.Shape}, expected [{t}, Hkv, {d}] to match q {q.Shape}", nameof(k));
        TensorCheck.SameShape(k, v, nameof(k), nameof(v));
        TensorCheck.SameShape(q, output, nameof(q), nameof(output));
        if (hkv == 0 ? h != 0 : h % hkv != 0)
            throw new ArgumentException($"q has {h} heads, not a multiple of the {hkv} kv heads of k {k.Shape}", nameof(k));
        ValidateOffsets(cuSeqLens, t, nameof(cuSeqLens));
    }

    /// <summary>Checks a CSR offset vector [B + 1]: at least one entry, starts at 0, never decreases, ends at total.</summary>
    private static void ValidateOffsets(Tensor offsets, long total, string name)
    {
        ReadOnlySpan<int> o = offsets.Span<int>(); // [B + 1]
        if (o.Length == 0)
            throw new ArgumentException($"{name} has shape {offsets.Shape}, expected [B + 1] with at least one entry", name);
        if (o[0] != 0)
            throw new ArgumentException($"{name}[0] is {o[0]}, expected 0", name);
        for (int b = 1; b < o.Length; b++)
        {
            if (o[b] < o[b - 1])
                throw new ArgumentException($"{name} decreases at entry {b} ({o[b - 1]} then {o[b]})", name);
        }
        if (o[^1] != total)
            throw new ArgumentException($"{name} ends at {o[^1]}, expected {total}", name);
    }
}
