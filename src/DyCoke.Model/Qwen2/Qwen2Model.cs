// The Qwen2 language model of LLaVA-OneVision: token embedding, decoder layers over the KV slot pools, final RMSNorm
// and the head (tied to the embedding for 0.5B). Prefill of a variable-length batch (whole prompts, or chunks over a
// cached prefix) and decode of a batch, both returning each sequence's last-position logits in F32.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>
/// Receives named intermediate activations during a prefill, for parity tests and debugging (llama.cpp's named
/// callbacks): "layer_out" after each layer (layerIndex ≥ 0, [T, C]) and "final_norm_out" (layerIndex −1, [T, C]:
/// every row after the final RMSNorm). The tensor is valid only during the call.
/// </summary>
public delegate void ActivationTap(string name, int layerIndex, Tensor value);

/// <summary>HF <c>Qwen2ForCausalLM</c> over an <see cref="IBackend"/>.</summary>
public sealed class Qwen2Model : IDisposable
{
    internal const string Component = "language";

    private readonly IBackend _backend;
    private readonly Tensor _embedTokens; // [V, C]
    private readonly Qwen2DecoderLayer[] _layers;
    private readonly Tensor _norm; // [C]
    private readonly Tensor _lmHead; // [V, C], the embedding itself when tied
    private LayerBuffers? _spareDecodeBuffers; // the last decode step's intermediates, for the next step of as many rows

    internal Qwen2Model(IBackend backend, Qwen2Config config, WeightLoader weights)
    {
        _backend = backend;
        Config = config;
        ActivationDType = weights.ActivationDType;
        _embedTokens = weights.Weight(WeightMap.EmbedTokens, Component);
        _layers = new Qwen2DecoderLayer[config.NumHiddenLayers];
        for (int i = 0; i < _layers.Length; i++) _layers[i] = new Qwen2DecoderLayer(backend, config, weights, i);
        _norm = weights.Weight(WeightMap.TextNorm, Component);
        _lmHead = weights.Weight(WeightMap.OutputMatrix(config), Component);
    }

    public Qwen2Config Config { get; }

    /// <summary>The dtype of hidden states, and of the KV cache unless one is chosen (<see cref="CreateKvCache"/>).</summary>
    public DType ActivationDType { get; }

    /// <summary>
    /// Whether this model's backend can keep the KV cache in <paramref name="dtype"/>: the activation dtype always;
    /// on the CPU also BF16, which its attention ops widen on load (half the bytes a decode step reads).
    /// </summary>
    public bool SupportsKvDType(DType dtype) => dtype == ActivationDType || (_backend.Device == DeviceKind.Cpu && dtype == DType.BF16);

    /// <summary>Allocates KV pools of <paramref name="numSlots"/> slots per layer, in <paramref name="dtype"/> (default:
    /// the activation dtype).</summary>
    /// <exception cref="ArgumentException">The backend cannot keep the cache in <paramref name="dtype"/>.</exception>
    public KvCache CreateKvCache(int numSlots, DType? dtype = null)
    {
        var kvDType = dtype ?? ActivationDType;
        if (!SupportsKvDType(kvDType))
            throw new ArgumentException($"a {kvDType} KV cache is not supported on {_backend.Name} with {ActivationDType} activations", nameof(dtype));
        return new(_backend, Config, numSlots, kvDType);
    }

    /// <summary>Token embeddings [T, C] (activation dtype, owned by the caller) for I32 ids [T] on the backend.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V).</exception>
    public Tensor Embed(Tensor ids)
    {
        var y = _backend.AllocateUninitialized(ActivationDType, new Shape(ids.Shape[0], Config.HiddenSize)); // [T, C]
        try
        {
            _backend.Embedding(ids, _embedTokens, y);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the batch's prompts (or chunks, see <see cref="PrefillBatch.CreateChunked"/>: each attends to its cached
    /// prefix too) through every layer, storing their K/V at <see cref="PrefillBatch.SlotMapping"/>, and returns F32
    /// [B, V] logits of each sequence's last token (caller owns). <paramref name="inputsEmbeds"/> [T, C] is read, not
    /// modified.
    /// </summary>
    /// <exception cref="ArgumentException">inputsEmbeds does not match the batch or the model, or the cache does not
    /// fit the model.</exception>
    public Tensor Prefill(Tensor inputsEmbeds, PrefillBatch batch, KvCache cache, ActivationTap? tap = null)
    {
        ArgumentNullException.ThrowIfNull(inputsEmbeds);
        ArgumentNullException.ThrowIfNull(batch);
        CheckCache(cache);
        var expected = new Shape(batch.NumTokens, Config.HiddenSize);
        if (inputsEmbeds.Shape != expected || inputsEmbeds.DType != ActivationDType)
            throw new ArgumentException($"inputsEmbeds is {inputsEmbeds}, expected {ActivationDType} {expected} for this batch", nameof(inputsEmbeds));

        var b = _backend;
        using var x = b.AllocateUninitialized(ActivationDType, expected); // [T, C] residual stream
        b.Copy(inputsEmbeds, x);
        var inputs = AttentionInputs.Prefill(batch);
        using var buffers = new LayerBuffers(b, ActivationDType, Config, batch.NumTokens); // shared by the layers
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].Forward(x, inputs, cache.Keys(i), cache.Values(i), buffers);
            tap?.Invoke("layer_out", i, x);
        }
        // Every row is normed (T·C work, next to nothing beside the layers) so the tap sees HF's last hidden state;
        // only each sequence's last row goes through the head.
        using var normed = b.AllocateUninitialized(ActivationDType, expected); // [T, C]
        b.RmsNorm(x, _norm, Config.RmsNormEps, normed);
        tap?.Invoke("final_norm_out", -1, normed);
        using var last = b.AllocateUninitialized(ActivationDType, new Shape(batch.NumSequences, Config.HiddenSize)); // [B, C]
        b.GatherRows(normed, batch.LastTokenRows, last);
        return Head(last);
    }

    /// <summary>
    /// One decode step: each sequence's new token is embedded, its K/V stored at its slot, and every layer attends to
    /// the slots <paramref name="kvLists"/> gives for it, asked for right before its attention op; for every layer
    /// <see cref="IDecodeKvLists.WantsScores"/> names, the mean attention probabilities go to
    /// <see cref="IDecodeKvLists.OnScores"/> right after that op, before the next layer asks for its lists.
    /// Returns F32 [B, V] logits (caller owns).
    /// </summary>
    /// <exception cref="ArgumentException">The cache does not fit the model, or a list tensor has the wrong shape
    /// (the backend names it).</exception>
    public Tensor Decode(DecodeBatch batch, KvCache cache, IDecodeKvLists kvLists)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(kvLists);
        CheckCache(cache);
        var b = _backend;
        using var x = Embed(batch.TokenIds); // [B, C] residual stream
        var buffers = TakeDecodeBuffers(x.Shape[0]); // shared by the layers
        try
        {
            for (int i = 0; i < _layers.Length; i++)
                _layers[i].Forward(x, AttentionInputs.Decode(batch, kvLists, i), cache.Keys(i), cache.Values(i), buffers);
        }
        finally
        {
            // Kept for the next step: decode batches keep their size for many steps, and the buffers are small (rows
            // = sequences). Two concurrent decodes each take their own; the one put back last is kept.
            Interlocked.Exchange(ref _spareDecodeBuffers, buffers)?.Dispose();
        }
        using var normed = b.AllocateUninitialized(ActivationDType, x.Shape); // [B, C]
        b.RmsNorm(x, _norm, Config.RmsNormEps, normed);
        return Head(normed);
    }

    // The spare decode buffers when they have the rows asked for, else new ones (the spare, if any, is freed).
    private LayerBuffers TakeDecodeBuffers(long rows)
    {
        var spare = Interlocked.Exchange(ref _spareDecodeBuffers, null);
        if (spare?.Tokens == rows) return spare;
        spare?.Dispose();
        return new LayerBuffers(_backend, ActivationDType, Config, rows);
    }

    /// <summary>Frees the intermediates kept between decode steps (an engine going idle calls this, so an idle server
    /// holds no scratch); the next decode step allocates them again.</summary>
    public void ReleaseDecodeBuffers() => Interlocked.Exchange(ref _spareDecodeBuffers, null)?.Dispose();

    /// <summary>Frees the intermediates kept between decode steps (the weights belong to the loader).</summary>
    public void Dispose() => ReleaseDecodeBuffers();

    // logits [B, V] = normed [B, C] · W_headᵀ, in F32 whatever the activation dtype (argmax reads F32).
    private Tensor Head(Tensor normed)
    {
        var b = _backend;
        var logits = b.AllocateUninitialized(DType.F32, new Shape(normed.Shape[0], Config.VocabSize)); // [B, V]
        try
        {
            b.Linear(normed, _lmHead, null, logits);
            return logits;
        }
        catch
        {
            logits.Dispose();
            throw;
        }
    }

    private void CheckCache(KvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.NumLayers != _layers.Length || cache.NumKvHeads != Config.NumKeyValueHeads || cache.HeadDim != Config.HeadDim || !SupportsKvDType(cache.DType))
            throw new ArgumentException(
                $"the cache has {cache.NumLayers} layers of [S, {cache.NumKvHeads}, {cache.HeadDim}] {cache.DType}, the model needs {_layers.Length} of [S, {Config.NumKeyValueHeads}, {Config.HeadDim}] in {ActivationDType}{(_backend.Device == DeviceKind.Cpu ? " or BF16" : "")}",
                nameof(cache));
    }
}
