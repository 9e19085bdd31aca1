// The only place sequences become tensors (nano-vllm's prepare_prefill/prepare_decode): prefill work encodes video
// frames, runs TTM, embeds the prompts and runs Qwen2 prefill over chunks; a decode batch feeds each sequence's last
// token. Logits come back to the host as F32 rows for the sampler.
using DyCoke.Compression;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>
/// What a step's prefill work produced: the sequences whose prefill finished with their logits [B'·V], and the
/// sequences whose own input failed (each with the reason), which the engine ends without touching the others.
/// </summary>
public sealed record PrefillResult(IReadOnlyList<Sequence> Completed, float[] Logits)
{
    public IReadOnlyList<(Sequence Sequence, string Message)> Failed { get; init; } = [];
}

/// <summary>Runs batches of sequences through a <see cref="LlavaOnevisionModel"/> over one <see cref="KvCache"/>.</summary>
public sealed class ModelRunner : IDisposable
{
    private readonly LlavaOnevisionModel _model;
    private readonly KvCache _cache;
    private readonly IDecodeKvListsProvider _kvLists;
    private float[] _logits = []; // [B·V] of the last forward, reused (valid until the next one)
    private int[] _ids = []; // [B] argmax ids of the last DecodeArgMax, reused likewise

    /// <summary>Allocates a KV cache of <paramref name="numSlots"/> slots per layer for <paramref name="model"/>, in
    /// <paramref name="kvCacheDType"/> (default: the activation dtype).</summary>
    /// <exception cref="ArgumentException">The model's backend cannot keep the cache in that dtype.</exception>
    public ModelRunner(LlavaOnevisionModel model, int numSlots, IDecodeKvListsProvider? kvLists = null, DType? kvCacheDType = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _cache = model.LanguageModel.CreateKvCache(numSlots, kvCacheDType); // per layer [S, Hkv, D]
        _kvLists = kvLists ?? DyCokeKvListsProvider.Instance;
    }

    public LlavaOnevisionModel Model => _model;

    public IDecodeKvListsProvider KvLists => _kvLists;

    public int NumSlots => _cache.NumSlots;

    public long KvCacheBytes => _cache.ByteCount;

    public DType KvCacheDType => _cache.DType;

    /// <summary>Vocabulary rows of the logits.</summary>
    public int VocabSize => _model.Config.Text.VocabSize;

    /// <summary>
    /// Runs one step's prefill work and returns the sequences whose prefill it finished with their host logits [B'·V]
    /// (row b for Completed[b]). Per sequence: encodes the planned video frames; once all are encoded, runs TTM (with
    /// DyCoke: the prompt's placeholder runs shrink and a single-video sequence gets its dynamic-pruning state) and
    /// builds the embeddings of every token to prefill (prompt, plus output after a preemption); then prefills up to
    /// the planned number of tokens as a chunk attending to what is already cached. The KV blocks must be allocated.
    /// </summary>
    /// <exception cref="InvalidOperationException">Tokens are planned for a sequence whose videos are not all encoded.</exception>
    public PrefillResult Prefill(IReadOnlyList<PrefillWork> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var chunks = new List<PrefillChunk>(work.Count);
        var failed = new List<(Sequence, string)>();
        foreach (var (seq, frames, tokens) in work)
        {
            // Vision and TTM run per sequence, so a request whose own video or prompt breaks them fails alone.
            try
            {
                var state = seq.Prefill ??= new PrefillState();
                if (frames > 0) EncodeFrames(seq, state, frames);
                if (state.Embeds is null && seq.NumFramesToEncode == 0) PreparePrompt(seq, state);
                if (tokens == 0) continue;
                if (state.Embeds is null)
                    throw new InvalidOperationException($"sequence {seq.Id}: {tokens} tokens planned before its {seq.NumFramesToEncode} remaining frames are encoded");
                int start = seq.NumCachedTokens;
                chunks.Add(new PrefillChunk(seq, start, Math.Min(tokens, seq.NumTokens - start)));
            }
            catch (Exception e) when (IsSequenceFailure(e))
            {
                failed.Add((seq, e.Message));
            }
        }
        var completed = new List<Sequence>();
        var rows = new List<float>(); // [B'·V]
        if (chunks.Count > 0)
        {
            try
            {
                PrefillChunks(chunks, completed, rows);
            }
            catch (Exception e) when (IsSequenceFailure(e))
            {
                if (chunks.Count == 1) failed.Add((chunks[0].Seq, e.Message));
                else
                {
                    // The batch failed: run each chunk alone so only a sequence that breaks the forward by itself fails.
                    // A re-run rewrites the same KV slots, and progress advances only after a successful forward.
                    foreach (var chunk in chunks)
                    {
                        try
                        {
                            PrefillChunks([chunk], completed, rows);
                        }
                        catch (Exception single) when (IsSequenceFailure(single))
                        {
                            failed.Add((chunk.Seq, single.Message));
                        }
                    }
                }
            }
        }
        return new PrefillResult(completed, [.. rows]) { Failed = failed };
    }

    // Failures a request's own input can cause (shapes, prompt/video mismatch) or that a smaller batch may avoid (memory).
    private static bool IsSequenceFailure(Exception e) => e is ArgumentException or InvalidOperationException or OutOfMemoryException;

    private readonly record struct PrefillChunk(Sequence Seq, int Start, int Count);

    // One Qwen2 prefill over the chunks; appends the sequences it finished and their logit rows.
    private void PrefillChunks(IReadOnlyList<PrefillChunk> chunks, List<Sequence> completed, List<float> rows)
    {
        int t = chunks.Sum(c => c.Count), c = _model.Config.Text.HiddenSize;
        var lengths = new int[chunks.Count]; // [B]
        var positions = new int[t]; // [T]
        var slots = new int[t]; // [T]
        var contexts = new int[chunks.Count][]; // per sequence [start + n]
        using var embeds = _model.Backend.Allocate(_model.ActivationDType, new Shape(t, c)); // [T, C]
        int row = 0;
        for (int b = 0; b < chunks.Count; b++)
        {
            var (seq, start, n) = chunks[b];
            lengths[b] = n;
            contexts[b] = seq.SlotsUpTo(start + n);
            for (int i = 0; i < n; i++)
            {
                positions[row + i] = start + i;
                slots[row + i] = contexts[b][start + i];
            }
            _model.Backend.Copy(seq.Prefill!.Embeds!.Rows(start, n), embeds.Rows(row, n));
            row += n;
        }
        // Chunks that all start at position 0 see only themselves: the whole-prompt path attends over the fresh K/V.
        using var batch = chunks.All(ch => ch.Start == 0)
            ? PrefillBatch.Create(_model.Backend, lengths, positions, slots)
            : PrefillBatch.CreateChunked(_model.Backend, lengths, positions, slots, contexts);
        ReadOnlyMemory<float> logits; // [B·V]
        using (var device = _model.LanguageModel.Prefill(embeds, batch, _cache)) logits = ReadLogits(device); // [B, V]

        int v = VocabSize;
        for (int b = 0; b < chunks.Count; b++)
        {
            var (seq, _, n) = chunks[b];
            seq.AdvancePrefill(n);
            if (!seq.IsPrefilled) continue;
            completed.Add(seq);
            rows.AddRange(logits.Span.Slice(b * v, v));
        }
    }

    /// <summary>One decode step: each sequence feeds its last token at position NumTokens − 1 and attends to the slots
    /// the kv-lists provider gives. Returns host logits [B·V], valid until the runner's next forward.</summary>
    public ReadOnlyMemory<float> Decode(IReadOnlyList<Sequence> batch) => Forward(batch, ReadLogits);

    /// <summary>
    /// <see cref="Decode"/> for a batch whose every sequence takes the argmax (<see cref="SamplingParams.TakesArgMax"/>):
    /// the argmax runs on the backend and only the B token ids come back, not B·V logits (on a GPU that is 64 bytes
    /// instead of ~10 MB per step of a 16-stream batch over a 152 K vocabulary). Returns the ids [B], valid until the
    /// runner's next forward; each equals the first maximum of its logits row, as the host sampler picks.
    /// </summary>
    public ReadOnlyMemory<int> DecodeArgMax(IReadOnlyList<Sequence> batch) => Forward(batch, ArgMaxRows);

    private T Forward<T>(IReadOnlyList<Sequence> batch, Func<Tensor, T> read)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var backend = _model.Backend;
        var tokens = new int[batch.Count]; // [B]
        var positions = new int[batch.Count]; // [B]
        var slots = new int[batch.Count]; // [B]
        for (int b = 0; b < batch.Count; b++)
        {
            tokens[b] = batch[b].LastTokenId;
            positions[b] = batch[b].NumTokens - 1;
            slots[b] = batch[b].SlotOf(positions[b]);
        }
        using var decode = DecodeBatch.Create(backend, tokens, positions, slots);
        var lists = _kvLists.CreateLists(backend, batch);
        try
        {
            using var logits = _model.LanguageModel.Decode(decode, _cache, lists); // [B, V]
            return read(logits);
        }
        finally
        {
            (lists as IDisposable)?.Dispose();
        }
    }

    // Encodes the next `frames` frames of the sequence's videos (in prompt order) into their feature buffers.
    private void EncodeFrames(Sequence seq, PrefillState state, int frames)
    {
        var videos = seq.Request.Videos;
        if (state.VideoFeatures is null)
        {
            state.VideoFeatures = new Tensor[videos.Count];
            for (int i = 0; i < videos.Count; i++) state.VideoFeatures[i] = _model.Video.Allocate((int)videos[i].Shape[0]); // [F·196 + 1, C]
        }
        int first = 0; // the video's first frame, counted over all videos
        for (int i = 0; i < videos.Count && frames > 0; first += (int)videos[i].Shape[0], i++)
        {
            int f = (int)videos[i].Shape[0], from = state.FramesEncoded - first;
            if (from >= f) continue;
            int n = Math.Min(f - from, frames);
            _model.Video.EncodeFrames(videos[i], from, n, state.VideoFeatures[i]);
            state.FramesEncoded += n;
            frames -= n;
        }
    }

    // With every frame encoded: TTM with DyCoke (the prompt's placeholder runs shrink, DP is set up), then the input
    // embeddings of all tokens to prefill. Deterministic, so a recompute after preemption rebuilds the same prompt.
    private void PreparePrompt(Sequence seq, PrefillState state)
    {
        var request = seq.Request;
        var features = state.VideoFeatures ?? []; // per video [F·196 + 1, C]
        int videoToken = _model.Config.VideoTokenIndex;
        var dycoke = request.DyCoke is { Enabled: true } && request.Videos.Count > 0 ? request.DyCoke : null;
        if (dycoke is null)
        {
            seq.NumVideoTokens = request.PromptIds.Count(id => id == videoToken);
        }
        else
        {
            bool firstPrefill = seq.DyCokeStats is null;
            var stats = seq.DyCokeStats ?? new DyCokeStats();
            var before = new int[features.Length];
            var after = new int[features.Length];
            for (int i = 0; i < features.Length; i++)
            {
                var merged = VideoTokenMerging.Merge(_model.Backend, features[i], _model.Config.TokensPerFrame, dycoke);
                features[i].Dispose();
                features[i] = merged.Features; // [n + 1, C]
                before[i] = merged.TokensBefore + 1; // placeholder rows include the newline
                after[i] = merged.TokensAfter + 1;
                if (firstPrefill) stats.RecordMerge(merged.TokensBefore, merged.TokensAfter);
            }
            int[] ids = VideoTokenMerging.CompressPlaceholders(request.PromptIds, videoToken, before, after);
            seq.SetPrompt(ids);
            seq.NumVideoTokens = after.Sum();
            seq.DyCokeStats = stats;
            // DP follows one visual span; with several videos only TTM runs (as in the reference Generator).
            seq.Pruning = before.Length == 1 ? new DynamicKvPruning(dycoke, Array.IndexOf(ids, videoToken), after[0] - 1, stats) : null;
        }
        state.Embeds = _model.EmbedPrompt(seq.AllTokenIds(), features); // [N, C]
        foreach (var f in features) f.Dispose();
        state.VideoFeatures = null;
    }

    // Logits land in one buffer reused step after step (a fresh B·V array per step was most of the engine
    // thread's allocation, each one paid in page faults and zeroing).
    private ReadOnlyMemory<float> ReadLogits(Tensor logits)
    {
        int n = checked((int)logits.NumElements);
        if (_logits.Length < n) _logits = new float[n];
        _model.Backend.ReadFloats(logits, _logits.AsSpan(0, n)); // [B·V]
        return _logits.AsMemory(0, n);
    }

    // ids [B] ← argmax of each logits row [B, V], on the backend; copied into a buffer reused across steps.
    private ReadOnlyMemory<int> ArgMaxRows(Tensor logits)
    {
        var backend = _model.Backend;
        int rows = (int)logits.Shape[0];
        using var ids = backend.AllocateUninitialized(DType.I32, new Shape(rows)); // [B]
        backend.ArgMax(logits, ids);
        if (_ids.Length < rows) _ids = new int[rows];
        backend.ReadInts(ids, _ids.AsSpan(0, rows));
        return _ids.AsMemory(0, rows);
    }

    /// <summary>Frees the scratch the model keeps between decode steps; for an engine with nothing to run.</summary>
    public void ReleaseScratch() => _model.LanguageModel.ReleaseDecodeBuffers();

    public void Dispose() => _cache.Dispose();
}
