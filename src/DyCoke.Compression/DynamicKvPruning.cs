// DyCoke stage 2, dynamic KV pruning with recall (dycoke-algorithm.md §4): per sequence, the state (span s/len, v_prev,
// the kept set) and the per-step decision from layer L−1's mean-over-heads attention. The full cache is never dropped:
// each selection is a top-k over ALL visual tokens, so pruned tokens can come back.
using System.Runtime.Intrinsics;

namespace DyCoke.Compression;

/// <summary>DP state of one sequence, created per request after TTM; feed it one score vector per decode step.</summary>
public sealed class DynamicKvPruning
{
    private readonly DyCokeOptions _options;
    private float[]? _previousScores; // [len] v_prev
    private int[]? _kept; // span-relative kept indices, ascending; the last selection

    /// <summary>State for a sequence whose visual tokens (newline excluded) occupy logical positions
    /// [<paramref name="visualStart"/>, visualStart + <paramref name="visualTokens"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">visualStart is negative or visualTokens below 1.</exception>
    public DynamicKvPruning(DyCokeOptions options, int visualStart, int visualTokens, DyCokeStats? stats = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(visualStart);
        ArgumentOutOfRangeException.ThrowIfLessThan(visualTokens, 1);
        _options = options;
        SpanStart = visualStart;
        VisualTokens = visualTokens;
        // The reference's image_token_length is the post-TTM count minus one: the last visual token is never pruned.
        SpanLength = options.Mode == DyCokeMode.Reference ? visualTokens - 1 : visualTokens;
        KeepCount = options.KeptPerDecodeStep(SpanLength);
        Stats = stats ?? new DyCokeStats();
    }

    /// <summary>First logical position scored and pruned (s).</summary>
    public int SpanStart { get; }

    /// <summary>Positions scored and pruned (len): the visual count, one less in Reference mode.</summary>
    public int SpanLength { get; }

    /// <summary>Visual tokens of the sequence (newline excluded).</summary>
    public int VisualTokens { get; }

    /// <summary>Visual tokens a pruned step keeps from the span: floor(len·(1 − P)).</summary>
    public int KeepCount { get; }

    /// <summary>The first pruned layer L; the scores come from layer L − 1.</summary>
    public int FirstPrunedLayer => _options.L;

    /// <summary>This sequence's counters (shared with TTM's when passed in).</summary>
    public DyCokeStats Stats { get; }

    /// <summary>Decode steps decided so far.</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// Decides one decode step from the new token's layer L−1 mean-over-heads attention over the span,
    /// <paramref name="spanScores"/> [len] (entry i = position s + i). Updates v_prev and the stats.
    /// </summary>
    /// <returns>The decision; <see cref="DyCokeStep.KeptSpanIndices"/> is null when the step runs unpruned.</returns>
    /// <exception cref="ArgumentException">spanScores is not len long.</exception>
    public DyCokeStep Decide(ReadOnlySpan<float> spanScores)
    {
        if (spanScores.Length != SpanLength)
            throw new ArgumentException($"spanScores has {spanScores.Length} entries, expected the span length {SpanLength}", nameof(spanScores));
        double similarity = _previousScores is null ? double.NaN : Cosine(spanScores, _previousScores);
        // v_prev is overwritten in place: this runs for every video sequence at every decode step.
        _previousScores ??= new float[SpanLength];
        spanScores.CopyTo(_previousScores);
        // NaN (no previous vector) fails the comparison, so the first step always selects.
        bool stable = similarity >= _options.Gate;
        bool reselect = !stable;
        int[]? kept;
        if (reselect)
        {
            _kept = TopK(spanScores, KeepCount);
            kept = _kept;
        }
        else kept = _options.Mode == DyCokeMode.Paper ? _kept : null;

        int outsideSpan = VisualTokens - SpanLength;
        var step = new DyCokeStep(Steps++, similarity, kept is not null, reselect, kept, (kept?.Length ?? SpanLength) + outsideSpan);
        Stats.RecordStep(step);
        return step;
    }

    /// <summary>
    /// The logical positions layers ≥ L attend to for a token at <paramref name="position"/> under
    /// <paramref name="step"/>: [0, s) ∪ kept ∪ [s + len, position], ascending; every position when unpruned.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">position lies inside or before the span.</exception>
    public int[] AttendedPositions(DyCokeStep step, int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return AttendedSlots(step, Enumerable.Range(0, position + 1).ToArray());
    }

    /// <summary>
    /// The KV slots layers ≥ L attend to: slots[p] for every p of <see cref="AttendedPositions"/> at the newest
    /// position, where <paramref name="slots"/> [p + 1] holds the slot of every logical position 0..p. Built in one
    /// pass: this runs for every pruned sequence at every decode step.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The newest position lies inside or before the span.</exception>
    public int[] AttendedSlots(DyCokeStep step, ReadOnlySpan<int> slots)
    {
        ArgumentNullException.ThrowIfNull(step);
        int position = slots.Length - 1, spanEnd = SpanStart + SpanLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(position, spanEnd, "the newest position");
        if (step.KeptSpanIndices is not { } kept) return slots.ToArray();
        var attended = new int[SpanStart + kept.Length + (position + 1 - spanEnd)];
        slots[..SpanStart].CopyTo(attended);
        var visual = slots.Slice(SpanStart, SpanLength);
        for (int j = 0; j < kept.Length; j++) attended[SpanStart + j] = visual[kept[j]];
        slots[spanEnd..].CopyTo(attended.AsSpan(SpanStart + kept.Length));
        return attended;
    }

    /// <summary>The <paramref name="k"/> largest scores' indices (ties: lower index), returned ascending.</summary>
    internal static int[] TopK(ReadOnlySpan<float> scores, int k) => DyCoke.Tensors.TopKSelection.IndicesAscending(scores, k);

    // In double: the gate compares against 0.9, and a float sum over thousands of small probabilities drifts. Eight
    // lanes of doubles at a time: this runs for every video sequence at every decode step.
    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && a.Length >= 8)
        {
            Vector256<double> d0 = Vector256<double>.Zero, d1 = d0, a0 = d0, a1 = d0, b0 = d0, b1 = d0;
            for (; i + 8 <= a.Length; i += 8)
            {
                var (al, ah) = Vector256.Widen(Vector256.Create(a.Slice(i, 8)));
                var (bl, bh) = Vector256.Widen(Vector256.Create(b.Slice(i, 8)));
                d0 += al * bl; d1 += ah * bh;
                a0 += al * al; a1 += ah * ah;
                b0 += bl * bl; b1 += bh * bh;
            }
            dot = Vector256.Sum(d0 + d1);
            na = Vector256.Sum(a0 + a1);
            nb = Vector256.Sum(b0 + b1);
        }
        for (; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Max(Math.Sqrt(na) * Math.Sqrt(nb), 1e-8);
    }
}
