// Picks the next token from one sequence's logits: penalties on already generated tokens, then greedy or
// temperature sampling restricted by top-k, top-p and min-p, drawn from the sequence's own seeded generator.
using System.Numerics.Tensors;

namespace DyCoke.Engine;

/// <summary>Token selection over host F32 logits. One instance per step thread (it reuses scratch buffers).</summary>
/// <remarks>
/// Nothing here sorts the whole vocabulary (152k ids for Qwen2: a few ms per token, which at 16 sequences would be
/// the largest cost of a step). Plain temperature and min-p draw over the ids in id order; top-k and top-p find the
/// candidates by a histogram of the probabilities' binary exponents and sort only the buckets that can hold them.
/// </remarks>
public sealed class Sampler
{
    private const int Buckets = 64; // by binary exponent of the weight: see BucketOf

    private float[] _scores = []; // [V] penalised logits
    private float[] _weights = []; // [V] exp((score − max) / T), in (0, 1]
    private int[] _order = []; // [candidates] ids, best first
    private byte[] _bucketOf = []; // [V] each id's bucket, so the candidate pass does not recompute it
    private readonly int[] _bucketCounts = new int[Buckets];
    private readonly double[] _bucketMass = new double[Buckets];

    /// <summary>
    /// Returns the sampled id for <paramref name="logits"/> [V]. Greedy takes the first maximum; otherwise the
    /// candidates are the top-k ids, cut to the smallest prefix whose probability reaches top-p, minus those below
    /// min-p × the best probability; one is drawn with <paramref name="random"/>.
    /// </summary>
    /// <exception cref="ArgumentException">logits is empty.</exception>
    public int Sample(ReadOnlySpan<float> logits, SamplingParams sampling, Random random, IReadOnlyDictionary<int, int> outputCounts)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(outputCounts);
        if (logits.IsEmpty) throw new ArgumentException("logits is empty", nameof(logits));
        int v = logits.Length;
        if (sampling.TakesArgMax) return TensorPrimitives.IndexOfMax<float>(logits); // no copy needed
        if (_scores.Length < v)
        {
            _scores = new float[v];
            _weights = new float[v];
            _bucketOf = new byte[v];
        }
        var scores = _scores.AsSpan(0, v); // [V]
        logits.CopyTo(scores);
        ApplyPenalties(scores, sampling, outputCounts);
        if (sampling.IsGreedy) return TensorPrimitives.IndexOfMax<float>(scores);

        // Unnormalised probabilities relative to the best id, whose weight is exactly 1.
        var weights = _weights.AsSpan(0, v); // [V]
        float max = TensorPrimitives.Max<float>(scores);
        TensorPrimitives.Subtract(scores, max, weights);
        TensorPrimitives.Multiply(weights, 1f / sampling.Temperature, weights);
        TensorPrimitives.Exp(weights, weights);
        bool ranked = sampling.TopK > 0 && sampling.TopK < v || sampling.TopP < 1f;
        return ranked ? SampleRanked(weights, sampling, random) : SampleAll(weights, sampling.MinP, random);
    }

    // No top-k or top-p: every id with weight ≥ min-p (relative to the best, weight 1) is a candidate.
    private static int SampleAll(Span<float> weights, float minP, Random random)
    {
        if (minP > 0f)
            for (int i = 0; i < weights.Length; i++)
                if (weights[i] < minP) weights[i] = 0f;
        double total = 0;
        foreach (float w in weights) total += w;
        double u = random.NextDouble() * total;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0f) continue;
            u -= weights[i];
            last = i;
            if (u < 0) return i;
        }
        return last; // rounding left u ≥ 0: the last id with weight
    }

    // Top-k and/or top-p: rank only the ids that can be in the kept prefix, then walk it in rank order.
    private int SampleRanked(Span<float> weights, SamplingParams sampling, Random random)
    {
        int v = weights.Length;
        Array.Clear(_bucketCounts);
        Array.Clear(_bucketMass);
        double all = 0;
        for (int i = 0; i < v; i++)
        {
            int b = BucketOf(weights[i]);
            _bucketOf[i] = (byte)b;
            _bucketCounts[b]++;
            _bucketMass[b] += weights[i];
            all += weights[i];
        }
        // The last bucket the kept prefix can reach: where the running count reaches k, or else the running mass top-p.
        int k = sampling.TopK > 0 ? Math.Min(sampling.TopK, v) : v;
        int cut = Buckets - 1;
        long count = 0;
        double mass = 0, target = sampling.TopP * all;
        for (int b = 0; b < Buckets; b++)
        {
            count += _bucketCounts[b];
            mass += _bucketMass[b];
            if (k < v ? count >= k : mass >= target)
            {
                cut = b;
                break;
            }
        }

        if (_order.Length < count) _order = new int[Math.Max((int)count, 256)];
        int n = 0;
        for (int i = 0; i < v; i++)
            if (_bucketOf[i] <= cut) _order[n++] = i;
        var order = _order.AsSpan(0, n); // [n] candidate ids
        float[] keys = _weights;
        order.Sort((a, b) =>
        {
            int c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        n = Math.Min(n, k);

        // Top-p's total is over the top-k ids when k cuts, else over the whole vocabulary.
        double total = k < v ? 0 : all;
        if (k < v)
            for (int r = 0; r < n; r++) total += weights[order[r]];
        int keep = n;
        if (sampling.TopP < 1f)
        {
            double running = 0, needed = sampling.TopP * total;
            for (int r = 0; r < n; r++)
            {
                running += weights[order[r]];
                if (running >= needed) { keep = r + 1; break; }
            }
        }
        if (sampling.MinP > 0f)
        {
            int r = 1; // the best id (weight 1) always stays
            while (r < keep && weights[order[r]] >= sampling.MinP) r++;
            keep = r;
        }
        double kept = 0;
        for (int r = 0; r < keep; r++) kept += weights[order[r]];
        double u = random.NextDouble() * kept;
        for (int r = 0; r < keep; r++)
        {
            u -= weights[order[r]];
            if (u < 0) return order[r];
        }
        return order[keep - 1];
    }

    // 0 for weight 1, b for [2^-b, 2^-(b-1)); zero, subnormal and anything below 2^-62 share the last bucket.
    private static int BucketOf(float weight) =>
        Math.Min(Buckets - 1, 127 - ((BitConverter.SingleToInt32Bits(weight) >> 23) & 0xFF));

    // OpenAI semantics: penalties look at generated tokens only, presence once and frequency per occurrence.
    private static void ApplyPenalties(Span<float> scores, SamplingParams sampling, IReadOnlyDictionary<int, int> outputCounts)
    {
        if (!sampling.HasPenalties) return;
        foreach (var (id, count) in outputCounts)
        {
            if ((uint)id >= (uint)scores.Length) continue;
            scores[id] -= sampling.PresencePenalty + sampling.FrequencyPenalty * count;
        }
    }
}
