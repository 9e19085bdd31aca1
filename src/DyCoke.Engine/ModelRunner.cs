// The only place sequences become tensors (nano-vllm's prepare_prefill/prepare_decode): a prefill batch encodes the
// videos, embeds the prompts and runs Qwen2 prefill; a decode batch feeds each sequence's last token. Logits come
// back to the host as F32 rows for the sampler.
using DyCoke.Compression;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>Runs batches of sequences through a <see cref="LlavaOnevisionModel"/> over one <see cref="KvCache"/>.</summary>
public sealed class ModelRunner : IDisposable
{
    private readonly LlavaOnevisionModel _model;
    private readonly KvCache _cache;
    private readonly IDecodeKvListsProvider _kvLists;

    /// <summary>Allocates a KV cache of <paramref name="numSlots"/> slots per layer for <paramref name="model"/>.</summary>
    public ModelRunner(LlavaOnevisionModel model, int numSlots, IDecodeKvListsProvider? kvLists = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _cache = model.LanguageModel.CreateKvCache(numSlots); // per layer [S, Hkv, D]
        _kvLists = kvLists ?? DyCokeKvListsProvider.Instance;
    }

    public LlavaOnevisionModel Model => _model;

    public IDecodeKvListsProvider KvLists => _kvLists;

    public int NumSlots => _cache.NumSlots;

    public long KvCacheBytes => _cache.ByteCount;

    /// <summary>Vocabulary rows of the logits.</summary>
    public int VocabSize => _model.Config.Text.VocabSize;

    /// <summary>
    /// Prefills every token of each sequence (prompt, plus output after a preemption) into its KV blocks and returns
    /// host logits [B·V]: row b is the next-token distribution of <paramref name="batch"/>[b]. Videos are encoded here;
    /// with DyCoke, TTM shortens each video's placeholder run (the sequence's prompt changes) and a single-video
    /// sequence gets its dynamic-pruning state.
    /// </summary>
    public float[] Prefill(IReadOnlyList<Sequence> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var backend = _model.Backend;
        var lengths = new int[batch.Count]; // [B]
        var ids = new List<int>(); // [T]
        var positions = new List<int>(); // [T]
        var slots = new List<int>(); // [T]
        var features = new List<Tensor>(); // per video [F·196 + 1, C]
        try
        {
            for (int b = 0; b < batch.Count; b++)
            {
                var seq = batch[b];
                PreparePrompt(seq, features);
                lengths[b] = seq.NumTokens;
                ids.AddRange(seq.AllTokenIds());
                for (int p = 0; p < seq.NumTokens; p++)
                {
                    positions.Add(p);
                    slots.Add(seq.SlotOf(p));
                }
            }
            using var embeds = _model.EmbedPrompt(ids.ToArray(), features); // [T, C]
            using var prefill = PrefillBatch.Create(backend, lengths, positions.ToArray(), slots.ToArray());
            using var logits = _model.LanguageModel.Prefill(embeds, prefill, _cache); // [B, V]
            return ReadLogits(logits);
        }
        finally
        {
            foreach (var f in features) f.Dispose();
        }
    }

    /// <summary>One decode step: each sequence feeds its last token at position NumTokens − 1 and attends to the slots
    /// the kv-lists provider gives. Returns host logits [B·V].</summary>
    public float[] Decode(IReadOnlyList<Sequence> batch)
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
            return ReadLogits(logits);
        }
        finally
        {
            (lists as IDisposable)?.Dispose();
        }
    }

    // Encodes the sequence's videos into features (appended in prompt order); with DyCoke, merges each one (TTM),
    // shortens its placeholder run and sets up DP. Deterministic, so a recompute after preemption rebuilds the same prompt.
    private void PreparePrompt(Sequence seq, List<Tensor> features)
    {
        var request = seq.Request;
        int videoToken = _model.Config.VideoTokenIndex;
        int first = features.Count;
        foreach (var pixels in request.Videos) features.Add(_model.EncodeVideo(pixels)); // [F·196 + 1, C] each
        var dycoke = request.DyCoke is { Enabled: true } && request.Videos.Count > 0 ? request.DyCoke : null;
        if (dycoke is null)
        {
            seq.NumVideoTokens = request.PromptIds.Count(id => id == videoToken);
            return;
        }
        bool firstPrefill = seq.DyCokeStats is null;
        var stats = seq.DyCokeStats ?? new DyCokeStats();
        var before = new int[request.Videos.Count];
        var after = new int[request.Videos.Count];
        for (int i = 0; i < before.Length; i++)
        {
            var merged = VideoTokenMerging.Merge(_model.Backend, features[first + i], _model.Config.TokensPerFrame, dycoke);
            features[first + i].Dispose();
            features[first + i] = merged.Features; // [n + 1, C]
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

    private float[] ReadLogits(Tensor logits)
    {
        if (logits.Device == DeviceKind.Cpu) return logits.ToFloatArray();
        var backend = _model.Backend;
        backend.Synchronize();
        using var host = Tensor.Cpu(logits.DType, logits.Shape); // [B, V]
        backend.Copy(logits, host);
        return host.ToFloatArray();
    }

    public void Dispose() => _cache.Dispose();
}
