// Naive double-precision references for the attention ops' tests (RoPE, varlen prefill, slot-list decode, chunked
// prefill over cached slots), written for clarity: one loop nest per formula, no tiling, no online softmax.
namespace DyCoke.Tensors.Tests.Ops;

internal static class AttentionReference
{
    /// <summary>
    /// NeoX rotation of x [T, heads, D] at positions [T]. With <paramref name="hfAngles"/> the angles are computed the
    /// way HF Qwen2 does (fp32 exponent, power, reciprocal and product) and only the rotation is in double; otherwise
    /// the angles are exact double pos·θ^(−2i/D).
    /// </summary>
    public static float[] Rope(float[] x, int heads, int d, int[] positions, float theta, bool hfAngles)
    {
        var result = new float[x.Length]; // [T, heads, D]
        int half = d / 2;
        for (int t = 0; t < positions.Length; t++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle;
                if (hfAngles)
                {
                    float inv = 1f / (float)Math.Pow(theta, (float)(2 * i) / d);
                    angle = (float)positions[t] * inv;
                }
                else
                {
                    angle = positions[t] * Math.Pow(theta, -2.0 * i / d);
                }
                double c = Math.Cos(angle), s = Math.Sin(angle);
                for (int h = 0; h < heads; h++)
                {
                    int row = (t * heads + h) * d;
                    double a = x[row + i], b = x[row + half + i];
                    result[row + i] = (float)(a * c - b * s);
                    result[row + half + i] = (float)(b * c + a * s);
                }
            }
        }
        return result;
    }

    /// <summary>Varlen attention: q, out [T, H, D]; k, v [T, Hkv, D]; cuSeqLens [B + 1].</summary>
    public static float[] Prefill(float[] q, float[] k, float[] v, int[] cuSeqLens, int h, int hkv, int d, bool causal, double scale)
    {
        var output = new float[q.Length]; // [T, H, D]
        int group = h / hkv;
        for (int b = 0; b + 1 < cuSeqLens.Length; b++)
        {
            int start = cuSeqLens[b], end = cuSeqLens[b + 1];
            for (int i = start; i < end; i++)
            {
                int keyEnd = causal ? i + 1 : end;
                var keys = new int[keyEnd - start];
                for (int j = 0; j < keys.Length; j++) keys[j] = start + j;
                for (int head = 0; head < h; head++)
                {
                    var (row, _) = Attend(q, (i * h + head) * d, k, v, keys, hkv, head / group, d, scale);
                    Array.Copy(row, 0, output, (i * h + head) * d, d);
                }
            }
        }
        return output;
    }

    /// <summary>
    /// Decode over slot lists: q, out [B, H, D]; caches [S, Hkv, D]. Returns the outputs and meanProbs [nnz]
    /// (per listed slot, the probability averaged over all H heads). Sequences without slots give zero rows.
    /// </summary>
    public static (float[] Output, float[] MeanProbs) Decode(float[] q, float[] kCache, float[] vCache, int[] indptr, int[] indices, int h, int hkv, int d, double scale)
    {
        var output = new float[q.Length]; // [B, H, D]
        var meanProbs = new double[indices.Length]; // [nnz]
        int group = h / hkv;
        for (int b = 0; b + 1 < indptr.Length; b++)
        {
            int[] slots = indices[indptr[b]..indptr[b + 1]];
            if (slots.Length == 0) continue;
            for (int head = 0; head < h; head++)
            {
                var (row, probs) = Attend(q, (b * h + head) * d, kCache, vCache, slots, hkv, head / group, d, scale);
                Array.Copy(row, 0, output, (b * h + head) * d, d);
                for (int j = 0; j < slots.Length; j++) meanProbs[indptr[b] + j] += probs[j] / h;
            }
        }
        return (output, Array.ConvertAll(meanProbs, p => (float)p));
    }

    /// <summary>
    /// Chunked prefill over cached slots: q, out [T, H, D]; caches [S, Hkv, D]; cuSeqLens, kvIndptr [B + 1]. Query i of
    /// sequence b attends to the first ctx_b − q_b + i + 1 slots of its context list.
    /// </summary>
    public static float[] PrefillCached(float[] q, float[] kCache, float[] vCache, int[] cuSeqLens, int[] kvIndptr, int[] kvIndices, int h, int hkv, int d, double scale)
    {
        var output = new float[q.Length]; // [T, H, D]
        int group = h / hkv;
        for (int b = 0; b + 1 < cuSeqLens.Length; b++)
        {
            int queries = cuSeqLens[b + 1] - cuSeqLens[b], context = kvIndptr[b + 1] - kvIndptr[b];
            for (int i = 0; i < queries; i++)
            {
                int row = cuSeqLens[b] + i;
                int[] slots = kvIndices[kvIndptr[b]..(kvIndptr[b] + context - queries + i + 1)];
                for (int head = 0; head < h; head++)
                {
                    var (result, _) = Attend(q, (row * h + head) * d, kCache, vCache, slots, hkv, head / group, d, scale);
                    Array.Copy(result, 0, output, (row * h + head) * d, d);
                }
            }
        }
        return output;
    }

    /// <summary>softmax(q·kᵀ·scale)·v for one query row over the given key rows (of kv head g); also the probabilities.</summary>
    private static (float[] Row, double[] Probs) Attend(float[] q, int qOffset, float[] k, float[] v, int[] rows, int hkv, int g, int d, double scale)
    {
        var scores = new double[rows.Length];
        double max = double.NegativeInfinity;
        for (int j = 0; j < rows.Length; j++)
        {
            int kOffset = (rows[j] * hkv + g) * d;
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double)q[qOffset + i] * k[kOffset + i];
            scores[j] = dot * scale;
            max = Math.Max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < rows.Length; j++)
        {
            scores[j] = Math.Exp(scores[j] - max);
            sum += scores[j];
        }
        var acc = new double[d];
        for (int j = 0; j < rows.Length; j++)
        {
            scores[j] /= sum;
            int vOffset = (rows[j] * hkv + g) * d;
            for (int i = 0; i < d; i++) acc[i] += scores[j] * v[vOffset + i];
        }
        return (Array.ConvertAll(acc, a => (float)a), scores);
    }
}
