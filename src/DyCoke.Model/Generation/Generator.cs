// Greedy generation for one sequence, the model's first user (issue 4): encode videos, embed the prompt, prefill,
// then decode one token at a time until the stop token or the token limit. The engine replaces this loop with the
// scheduler; its slot layout here is the simplest one, slot = position.
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
    /// <exception cref="OperationCanceledException">The token was cancelled (checked between steps).</exception>
    public GenerationResult Generate(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PromptIds is not { Length: > 0 }) throw new ArgumentException("the prompt is empty", nameof(request));
        if (request.MaxNewTokens < 1) throw new ArgumentException($"MaxNewTokens is {request.MaxNewTokens}, expected ≥ 1", nameof(request));
        var backend = _model.Backend;
        var lm = _model.LanguageModel;
        int promptLength = request.PromptIds.Length;

        // The last generated token is never fed back, so the cache needs prompt + MaxNewTokens − 1 slots.
        using var cache = lm.CreateKvCache(promptLength + request.MaxNewTokens - 1); // per layer [S, Hkv, D]
        var tokens = new List<int>(request.MaxNewTokens);
        int next;
        using (var embeds = EmbedPrompt(request)) // [T, C]
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
            using var lists = FullKvLists.Create(backend, [slots[..(position + 1)]]); // every slot so far, the new one included
            using var logits = lm.Decode(batch, cache, lists); // [1, V]
            next = ArgMax(logits);
            tokens.Add(next);
        }
        var reason = next == request.StopTokenId ? FinishReason.Stop : FinishReason.Length;
        return new GenerationResult(tokens.ToArray(), reason, promptLength);
    }

    private Tensor EmbedPrompt(GenerationRequest request)
    {
        var features = new List<Tensor>(request.Videos.Count);
        try
        {
            foreach (var pixels in request.Videos) features.Add(_model.EncodeVideo(pixels)); // [F·196 + 1, C] each
            return _model.EmbedPrompt(request.PromptIds, features);
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
        return BackendTensors.ReadInts(_model.Backend, index)[0];
    }
}
