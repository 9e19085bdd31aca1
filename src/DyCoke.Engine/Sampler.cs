// Picks the next token from one sequence's logits: penalties on already generated tokens, then greedy or
// temperature sampling restricted by top-k, top-p and min-p, drawn from the sequence's own seeded generator.
namespace DyCoke.Engine;

/// <summary>Token selection over host F32 logits. One instance per step thread (it reuses scratch buffers).</summary>
public sealed class Sampler
{
    private float[] _scores = []; // [V] penalised logits
    private int[] _order = []; // [V] candidate ids, best first

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
        if (_scores.Length < v)
        {
            _scores = new float[v];
            _order = new int[v];
        }
        var scores = _scores.AsSpan(0, v); // [V]
        logits.CopyTo(scores);
        ApplyPenalties(scores, sampling, outputCounts);
        if (sampling.IsGreedy) return ArgMax(scores);

        // Sorting every id keeps top-p exact; at V = 152k this is a few ms per token, fine for a first version.
        var order = _order.AsSpan(0, v); // [V]
        for (int i = 0; i < v; i++) order[i] = i;
        float[] keys = _scores;
        order.Sort((a, b) =>
        {
            int c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        });

        int n = sampling.TopK > 0 ? Math.Min(sampling.TopK, v) : v;
        float invT = 1f / sampling.Temperature;
        float max = scores[order[0]];
        // Unnormalised probabilities of the candidates by rank, best first.
        Span<float> probs = n <= 4096 ? stackalloc float[n] : new float[n]; // [n]
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            probs[r] = MathF.Exp((scores[order[r]] - max) * invT);
            total += probs[r];
        }
        int keep = n;
        if (sampling.TopP < 1f)
        {
            double mass = 0, target = sampling.TopP * total;
            for (int r = 0; r < n; r++)
            {
                mass += probs[r];
                if (mass >= target) { keep = r + 1; break; }
            }
        }
        if (sampling.MinP > 0f)
        {
            float floor = sampling.MinP * probs[0]; // probs[0] is the best (exp(0) = 1)
            int r = 1;
            while (r < keep && probs[r] >= floor) r++;
            keep = r;
        }
        double kept = 0;
        for (int r = 0; r < keep; r++) kept += probs[r];
        double u = random.NextDouble() * kept;
        for (int r = 0; r < keep; r++)
        {
            u -= probs[r];
            if (u < 0) return order[r];
        }
        return order[keep - 1];
    }

    // OpenAI semantics: penalties look at generated tokens only, presence once and frequency per occurrence.
    private static void ApplyPenalties(Span<float> scores, SamplingParams sampling, IReadOnlyDictionary<int, int> outputCounts)
    {
        if (sampling.PresencePenalty == 0f && sampling.FrequencyPenalty == 0f) return;
        foreach (var (id, count) in outputCounts)
        {
            if ((uint)id >= (uint)scores.Length) continue;
            scores[id] -= sampling.PresencePenalty + sampling.FrequencyPenalty * count;
        }
    }

    private static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best]) best = i;
        return best;
    }
}
