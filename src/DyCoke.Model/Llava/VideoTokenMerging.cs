// DyCoke's TTM step in the prompt path (dycoke-algorithm.md §2, §5): between EncodeVideo and EmbedPrompt, each video's
// [F·196 + 1, C] rows shrink to [n + 1, C] (newline kept last), and the prompt's placeholder runs shrink with them, so
// positions stay contiguous over the compressed sequence.
using DyCoke.Compression;
using DyCoke.Tensors;

namespace DyCoke.Model.Llava;

/// <summary>One video after TTM.</summary>
/// <param name="Features">[n + 1, C] on the backend (activation dtype, caller owns): the kept tokens, then image_newline.</param>
/// <param name="KeptRows">The n kept rows of the [F·196, C] video tokens, in output order.</param>
/// <param name="TokensBefore">F·196, the video's tokens before TTM (newline excluded).</param>
public sealed record MergedVideo(Tensor Features, int[] KeptRows, int TokensBefore)
{
    /// <summary>n, the video's tokens after TTM (newline excluded).</summary>
    public int TokensAfter => KeptRows.Length;
}

/// <summary>TTM on encoded videos and the matching prompt rewrite.</summary>
public static class VideoTokenMerging
{
    /// <summary>
    /// Runs TTM on one encoded video <paramref name="features"/> [F·N + 1, C] (the output of
    /// <see cref="LlavaOnevisionModel.EncodeVideo"/>; N = <paramref name="tokensPerFrame"/>).
    /// </summary>
    /// <exception cref="ArgumentException">features is not [F·N + 1, C] with F ≥ 1.</exception>
    public static MergedVideo Merge(IBackend backend, Tensor features, int tokensPerFrame, DyCokeOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        long rows = features.Shape.Rank == 2 ? features.Shape[0] : 0;
        if (rows < tokensPerFrame + 1 || (rows - 1) % tokensPerFrame != 0)
            throw new ArgumentException($"features is {features}, expected [F·{tokensPerFrame} + 1, C] with F ≥ 1", nameof(features));
        int videoTokens = checked((int)rows - 1);
        int[] kept = TemporalTokenMerging.SelectRows(backend, features.Rows(0, videoTokens), tokensPerFrame, options);
        using var indices = backend.UploadInts([.. kept, videoTokens]); // [n + 1], the newline last
        var merged = backend.Allocate(features.DType, new Shape(kept.Length + 1, features.Shape[1])); // [n + 1, C]
        try
        {
            backend.GatherRows(features, indices, merged);
            return new MergedVideo(merged, kept, videoTokens);
        }
        catch
        {
            merged.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="ids"/> with video i's placeholder rows cut from <paramref name="before"/>[i] to
    /// <paramref name="after"/>[i] (videos in prompt order; adjacent videos' runs may touch).
    /// </summary>
    /// <exception cref="ArgumentException">The counts differ in number, the placeholders do not add up to the sum of
    /// <paramref name="before"/>, or an after count exceeds its before count.</exception>
    public static int[] CompressPlaceholders(ReadOnlySpan<int> ids, int videoToken, IReadOnlyList<int> before, IReadOnlyList<int> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.Count != after.Count) throw new ArgumentException($"{before.Count} before counts but {after.Count} after counts", nameof(after));
        int placeholders = ids.Count(videoToken);
        if (placeholders != before.Sum())
            throw new ArgumentException($"the prompt has {placeholders} <video> placeholders but the videos have {before.Sum()} rows", nameof(ids));
        var result = new List<int>(ids.Length);
        int video = 0, seen = 0; // placeholders of `video` passed so far
        foreach (int id in ids)
        {
            if (id != videoToken) { result.Add(id); continue; }
            while (seen == before[video]) { video++; seen = 0; }
            if (after[video] > before[video]) throw new ArgumentException($"video {video} grows from {before[video]} to {after[video]} rows", nameof(after));
            if (seen < after[video]) result.Add(id);
            seen++;
        }
        return result.ToArray();
    }
}
