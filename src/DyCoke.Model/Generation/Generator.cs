// Greedy generation for one sequence, the model's first user (issue 4): encode videos, (DyCoke: merge their tokens
// and shrink the prompt), embed, prefill, then decode one token at a time until the stop token or the token limit, with
// DyCoke's dynamic KV pruning when enabled. The engine replaces this loop with the scheduler; its slot layout here is
// the simplest one, slot = position.
using DyCoke.Compression;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;

namespace DyCoke.Model.Generation;

/// <summary>Greedy decoding (argmax over all V rows, first index on ties) with a private KV cache per call.</summary>
public sealed class Generator
{
    private readonly LlavaOnevisionModel _model;

    public Generator(LlavaOnevisionModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>Generates up to <see cref="GenerationRequest.MaxNewTokens"/> tokens for the prompt.</summary>
    /// <exception cref="ArgumentException">The prompt is empty, the limit is below 1, or the videos do not fill the
    /// prompt's placeholders.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A DyCoke option is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (checked between steps).</exception>
    public GenerationResult Generate(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PromptIds is not { Length: > 0 }) throw new ArgumentException("the prompt is empty", nameof(request));
        if (request.MaxNewTokens < 1) throw new ArgumentException($"MaxNewTokens is {request.MaxNewTokens}, expected ≥ 1", nameof(request));
        var dycoke = request.DyCoke is { Enabled: true } && request.Videos.Count > 0 ? request.DyCoke : null;
        dycoke?.Validate();
        var backend = _model.Backend;
        var lm = _model.LanguageModel;

        var prompt = PreparePrompt(request, dycoke); // embeddings [T, C] of the (compressed) prompt
        using var embeds = prompt.Embeds;
        int promptLength = prompt.Ids.Length;
        // The last generated token is never fed back, so the cache needs prompt + MaxNewTokens − 1 slots.
        using var cache = lm.CreateKvCache(promptLength + request.MaxNewTokens - 1); // per layer [S, Hkv, D]
        var tokens = new List<int>(request.MaxNewTokens);
        int next;
        {
            var positions = Enumerable.Range(0, promptLength).ToArray(); // [T], also the slots
            using var batch = PrefillBatch.Create(backend, [promptLength], positions, positions); // B = 1
            using var logits = lm.Prefill(embeds, batch, cache); // [1, V]
            next = ArgMax(logits);
        }
        tokens.Add(next);

        var slots = Enumerable.Range(0, promptLength + request.MaxNewTokens).ToArray(); // slot = position
        while (next != request.StopTokenId && tokens.Count < request.MaxNewTokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int position = promptLength + tokens.Count - 1;
            using var batch = DecodeBatch.Create(backend, [next], [position], [position]); // B = 1
            // Every slot so far, the new one included; DP prunes layers ≥ L from there.
            using var lists = DyCokeKvLists.Create(backend, [new DyCokeSequence(slots[..(position + 1)], prompt.Pruning)]);
            using var logits = lm.Decode(batch, cache, lists); // [1, V]
            if (lists.Steps[0] is { } step) request.OnDyCokeStep?.Invoke(step);
            next = ArgMax(logits);
            tokens.Add(next);
        }
        var reason = next == request.StopTokenId ? FinishReason.Stop : FinishReason.Length;
        return new GenerationResult(tokens.ToArray(), reason, promptLength, prompt.Stats);
    }

    private sealed record PreparedPrompt(int[] Ids, Tensor Embeds, DyCokeStats? Stats, DynamicKvPruning? Pruning);

    // Encodes the videos; with DyCoke, merges each one's tokens, shrinks its placeholder run and sets up DP.
    private PreparedPrompt PreparePrompt(GenerationRequest request, DyCokeOptions? dycoke)
    {
        var features = new List<Tensor>(request.Videos.Count); // [F·196 + 1, C] or [n + 1, C] each
        try
        {
            foreach (var pixels in request.Videos) features.Add(_model.EncodeVideo(pixels));
            if (dycoke is null) return new PreparedPrompt(request.PromptIds, _model.EmbedPrompt(request.PromptIds, features), null, null);

            var stats = new DyCokeStats();
            var before = new int[features.Count];
            var after = new int[features.Count];
            for (int i = 0; i < features.Count; i++)
            {
                var merged = VideoTokenMerging.Merge(_model.Backend, features[i], _model.Config.TokensPerFrame, dycoke);
                features[i].Dispose();
                features[i] = merged.Features;
                before[i] = merged.TokensBefore + 1; // placeholder rows include the newline
                after[i] = merged.TokensAfter + 1;
                stats.RecordMerge(merged.TokensBefore, merged.TokensAfter);
            }
            int[] ids = VideoTokenMerging.CompressPlaceholders(request.PromptIds, _model.Config.VideoTokenIndex, before, after);
            var pruning = features.Count == 1
                ? new DynamicKvPruning(dycoke, Array.IndexOf(ids, _model.Config.VideoTokenIndex), after[0] - 1, stats)
                : null;
            return new PreparedPrompt(ids, _model.EmbedPrompt(ids, features), stats, pruning);
        }
        finally
        {
            foreach (var f in features) f.Dispose();
        }
    }

    private int ArgMax(Tensor logits)
    {
        using var index = _model.Backend.Allocate(DType.I32, new Shape(logits.Shape[0])); // [B]
        _model.Backend.ArgMax(logits, index);
        return _model.Backend.ReadInts(index)[0];
    }
}
