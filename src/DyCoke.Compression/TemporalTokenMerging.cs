// DyCoke stage 1, token temporal merging (dycoke-algorithm.md §3): per window of 4 frames the anchor stays whole and
// the other frames keep only their tokens least similar to the same spatial token of a reference frame; the rest are
// dropped. Index selection is host logic; similarities and the gather run on the backend.
using DyCoke.Tensors;

namespace DyCoke.Compression;

/// <summary>The rows TTM keeps of one video and those rows gathered.</summary>
/// <param name="KeptRows">Row indices into the [F·N, C] input, in output order.</param>
/// <param name="Tokens">[KeptRows.Length, C] on the backend, the input's dtype; owned by the caller.</param>
public sealed record TokenMergeResult(int[] KeptRows, Tensor Tokens);

/// <summary>Temporal token merging over one video's pooled, projected tokens [F·N, C] (the newline excluded).</summary>
public static class TemporalTokenMerging
{
    /// <summary>Frames per TTM window.</summary>
    public const int WindowFrames = 4;

    /// <summary>
    /// One pruned frame: <c>Frame</c> keeps its tokens least similar to the same spatial token of <c>Reference</c>
    /// (cosine over the original, unpruned features of both frames).
    /// </summary>
    public readonly record struct FramePair(int Frame, int Reference);

    /// <summary>
    /// The frames each mode prunes and what against, in the order the reference applies them (a later pair for the same
    /// frame replaces an earlier one), and which frames survive at all.
    /// </summary>
    /// <param name="numFrames">F ≥ 1.</param>
    /// <param name="mode">Paper: every window [w, w+3] in full or in part, w+1 and w+2 against w, w+3 against w+2.
    /// Reference: pass A (2j+1 against 2j for j &lt; F/2), then pass B (i+2 against i while i &lt; F − 4, step 4); an odd
    /// last frame is dropped. F &lt; 2 in either mode prunes nothing (the reference crashes there).</param>
    /// <returns>The pairs and the number of frames in the output (F, or F − 1 for an odd F in Reference mode).</returns>
    /// <exception cref="ArgumentOutOfRangeException">numFrames is below 1.</exception>
    public static (FramePair[] Pairs, int OutputFrames) Plan(int numFrames, DyCokeMode mode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numFrames, 1);
        if (numFrames < 2) return ([], numFrames);
        var pairs = new List<FramePair>();
        if (mode == DyCokeMode.Reference)
        {
            for (int j = 0; j < numFrames / 2; j++) pairs.Add(new FramePair(2 * j + 1, 2 * j));
            // The official loop's bound skips the window starting at F − 4 (frame F − 2 stays whole).
            for (int i = 0; i < numFrames - 4; i += WindowFrames) pairs.Add(new FramePair(i + 2, i));
            return (pairs.ToArray(), numFrames / 2 * 2);
        }
        for (int w = 0; w < numFrames; w += WindowFrames)
        {
            if (w + 1 < numFrames) pairs.Add(new FramePair(w + 1, w));
            if (w + 2 < numFrames) pairs.Add(new FramePair(w + 2, w));
            if (w + 3 < numFrames) pairs.Add(new FramePair(w + 3, w + 2));
        }
        return (pairs.ToArray(), numFrames);
    }

    /// <summary>
    /// The kept rows, in output order, given each pair's per-token similarity.
    /// </summary>
    /// <param name="similarity">For a pair, the cosine of token n of Frame and token n of Reference, n in [0, N).</param>
    /// <returns>Frames in temporal order; whole frames row-major; a pruned frame's floor((1 − K)·N) least similar tokens
    /// (ties: lower index first), in spatial order (Paper) or ascending similarity (Reference).</returns>
    /// <exception cref="ArgumentException">A similarity vector is not N long.</exception>
    public static int[] SelectRows(int numFrames, int tokensPerFrame, DyCokeOptions options, Func<FramePair, float[]> similarity)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(similarity);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerFrame, 1);
        options.Validate();
        var (pairs, outputFrames) = Plan(numFrames, options.Mode);
        int keep = options.KeptPerPrunedFrame(tokensPerFrame);
        var perFrame = new int[]?[outputFrames]; // frame-local kept token indices; null = whole frame
        foreach (var pair in pairs)
        {
            float[] s = similarity(pair); // [N]
            if (s.Length != tokensPerFrame)
                throw new ArgumentException($"the similarity of frames {pair.Frame} and {pair.Reference} has {s.Length} entries, expected {tokensPerFrame}", nameof(similarity));
            perFrame[pair.Frame] = LeastSimilar(s, keep, spatialOrder: options.Mode == DyCokeMode.Paper);
        }

        var rows = new List<int>(outputFrames * tokensPerFrame);
        for (int f = 0; f < outputFrames; f++)
        {
            int first = f * tokensPerFrame;
            if (perFrame[f] is { } kept) foreach (int n in kept) rows.Add(first + n);
            else for (int n = 0; n < tokensPerFrame; n++) rows.Add(first + n);
        }
        return rows.ToArray();
    }

    /// <summary>
    /// Runs TTM on <paramref name="videoTokens"/> [F·N, C] (F = rows ÷ N; rows beyond F·N are not part of the video):
    /// per-pair cosines with <see cref="IBackend.RowCosine"/>, host-side selection, one <see cref="IBackend.GatherRows"/>.
    /// </summary>
    /// <exception cref="ArgumentException">videoTokens is not a matrix with at least N rows.</exception>
    public static TokenMergeResult Merge(IBackend backend, Tensor videoTokens, int tokensPerFrame, DyCokeOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(videoTokens);
        int[] rows = SelectRows(backend, videoTokens, tokensPerFrame, options);
        using var indices = backend.UploadInts(rows); // [n]
        var tokens = backend.Allocate(videoTokens.DType, new Shape(rows.Length, videoTokens.Shape[1])); // [n, C]
        try
        {
            backend.GatherRows(videoTokens, indices, tokens);
            return new TokenMergeResult(rows, tokens);
        }
        catch
        {
            tokens.Dispose();
            throw;
        }
    }

    /// <summary>The rows <see cref="Merge"/> keeps, without gathering them.</summary>
    /// <exception cref="ArgumentException">videoTokens is not a matrix with at least N rows.</exception>
    public static int[] SelectRows(IBackend backend, Tensor videoTokens, int tokensPerFrame, DyCokeOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(videoTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerFrame, 1);
        if (videoTokens.Shape.Rank != 2 || videoTokens.Shape[0] < tokensPerFrame)
            throw new ArgumentException($"videoTokens is {videoTokens}, expected [F·{tokensPerFrame}, C] with F ≥ 1", nameof(videoTokens));
        int numFrames = checked((int)(videoTokens.Shape[0] / tokensPerFrame));
        var (pairs, _) = Plan(numFrames, options.Mode);
        if (pairs.Length == 0) return SelectRows(numFrames, tokensPerFrame, options, _ => []);

        // All pairs' cosines in one buffer, read back once.
        using var cosines = backend.Allocate(DType.F32, new Shape(pairs.Length, tokensPerFrame)); // [pairs, N]
        for (int i = 0; i < pairs.Length; i++)
        {
            var frame = videoTokens.Rows((long)pairs[i].Frame * tokensPerFrame, tokensPerFrame); // [N, C]
            var reference = videoTokens.Rows((long)pairs[i].Reference * tokensPerFrame, tokensPerFrame); // [N, C]
            backend.RowCosine(frame, reference, cosines.Rows(i, 1).Reshape(new Shape(tokensPerFrame)));
        }
        float[] host = backend.ReadFloats(cosines); // [pairs · N]
        var byPair = new Dictionary<FramePair, float[]>(pairs.Length);
        for (int i = 0; i < pairs.Length; i++) byPair[pairs[i]] = host.AsSpan(i * tokensPerFrame, tokensPerFrame).ToArray();
        return SelectRows(numFrames, tokensPerFrame, options, pair => byPair[pair]);
    }

    // The `keep` indices of the lowest scores, ordered by (score, index); re-sorted by index for spatial order.
    private static int[] LeastSimilar(float[] scores, int keep, bool spatialOrder)
    {
        var order = new int[scores.Length]; // [N]
        for (int n = 0; n < order.Length; n++) order[n] = n;
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
        var kept = order.AsSpan(0, keep).ToArray();
        if (spatialOrder) Array.Sort(kept);
        return kept;
    }
}
