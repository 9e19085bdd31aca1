// Qwen2 self-attention (llava-onevision.md §6.2): q/k/v projections with bias, NeoX RoPE at absolute positions with K
// stored (after RoPE) and V into the slot pools, GQA attention, o_proj without bias. Whole-prompt prefill attends
// causally over the batch's fresh tokens; chunked prefill and decode read the cache through slot lists.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>What one layer's attention reads besides the hidden states: either a prefill or a decode step.</summary>
/// <param name="Positions">I32 [T] absolute positions.</param>
/// <param name="SlotMapping">I32 [T] cache slot of each token.</param>
/// <param name="CuSeqLens">Prefill: I32 [B + 1] sequence boundaries; null in decode.</param>
/// <param name="KvIndptr">Chunked prefill: I32 [B + 1] list boundaries; null for whole prompts and in decode.</param>
/// <param name="KvIndices">Chunked prefill: I32 [nnz] slots attended to; null for whole prompts and in decode.</param>
/// <param name="DecodeLists">Decode: the step's slot lists, asked for this layer's right before its attention op, and
/// handed the mean probabilities right after it when it wants them (DyCoke's score); null in prefill.</param>
/// <param name="LayerIndex">Decode: the layer these inputs are for.</param>
internal readonly record struct AttentionInputs(
    Tensor Positions, Tensor SlotMapping, Tensor? CuSeqLens, Tensor? KvIndptr, Tensor? KvIndices, IDecodeKvLists? DecodeLists, int LayerIndex)
{
    public bool IsPrefill => CuSeqLens is not null;

    public static AttentionInputs Prefill(PrefillBatch batch) =>
        new(batch.Positions, batch.SlotMapping, batch.CuSeqLens, batch.KvIndptr, batch.KvIndices, null, -1);

    public static AttentionInputs Decode(DecodeBatch batch, IDecodeKvLists lists, int layerIndex) =>
        new(batch.Positions, batch.SlotMapping, null, null, null, lists, layerIndex);
}

/// <summary>HF <c>Qwen2Attention</c>. q/k/v stay three Linears: the mapped weights are separate tensors (see Qwen2Mlp).</summary>
internal sealed class Qwen2Attention
{
    private readonly IBackend _backend;
    private readonly Qwen2Config _config;
    private readonly Tensor _qWeight; // [H·D, C]
    private readonly Tensor _qBias; // [H·D]
    private readonly Tensor _kWeight, _vWeight; // [Hkv·D, C]
    private readonly Tensor _kBias, _vBias; // [Hkv·D]
    private readonly Tensor _oWeight; // [C, H·D]
    private readonly float _scale;
    private readonly float _theta;

    public Qwen2Attention(IBackend backend, Qwen2Config config, WeightLoader weights, int layerIndex)
    {
        _backend = backend;
        _config = config;
        Tensor W(string suffix) => weights.Weight(WeightMap.TextLayer(layerIndex, "self_attn." + suffix), Qwen2Model.Component);
        _qWeight = W("q_proj.weight");
        _qBias = W("q_proj.bias");
        _kWeight = W("k_proj.weight");
        _kBias = W("k_proj.bias");
        _vWeight = W("v_proj.weight");
        _vBias = W("v_proj.bias");
        _oWeight = W("o_proj.weight");
        _scale = (float)Math.Pow(config.HeadDim, -0.5);
        _theta = (float)config.RopeTheta;
    }

    /// <summary>output [T, C] = o_proj(attention(h [T, C])); also writes the T tokens' K and V into the pools. The
    /// projections go to <paramref name="buffers"/>.</summary>
    public void Forward(Tensor h, in AttentionInputs inputs, Tensor kCache, Tensor vCache, Tensor output, LayerBuffers buffers)
    {
        var b = _backend;
        long t = h.Shape[0];
        int heads = _config.NumAttentionHeads, d = _config.HeadDim;
        b.Linear(h, _qWeight, _qBias, buffers.Q); // [T, H·D]
        b.Linear(h, _kWeight, _kBias, buffers.K); // [T, Hkv·D]
        b.Linear(h, _vWeight, _vBias, buffers.V); // [T, Hkv·D]

        // Rotate q and k in place at their positions, then K (rotated) and V go to the tokens' slots.
        Tensor q3 = buffers.Q3, k3 = buffers.K3, v3 = buffers.V3; // [T, H, D], [T, Hkv, D], [T, Hkv, D]
        b.RopeAndStoreKv(q3, k3, v3, inputs.Positions, inputs.SlotMapping, kCache, vCache, _theta);

        // Zeroed, not shared across layers: a sequence with nothing to attend to gets a zero row.
        using var attention = b.Allocate(h.DType, q3.Shape); // [T, H, D]
        if (inputs.IsPrefill && inputs.KvIndptr is not null)
            b.AttentionPrefillCached(q3, kCache, vCache, inputs.CuSeqLens!, inputs.KvIndptr, inputs.KvIndices!, _scale, attention);
        else if (inputs.IsPrefill)
            b.AttentionPrefill(q3, k3, v3, inputs.CuSeqLens!, causal: true, _scale, attention);
        else
            AttendDecode(q3, inputs.DecodeLists!, inputs.LayerIndex, kCache, vCache, attention);
        b.Linear(attention.Reshape(new Shape(t, heads * d)), _oWeight, null, output);
    }

    // The lists are asked for as late as possible and the scores handed over at once: host work the lists start in
    // OnScores (DyCoke's decisions) runs during everything between this attention op and the next layer's.
    private void AttendDecode(Tensor q3, IDecodeKvLists lists, int layer, Tensor kCache, Tensor vCache, Tensor attention)
    {
        var (indptr, indices) = lists.ListsFor(layer); // [B + 1], [nnz]
        // Every listed slot's entry is written by the op (both backends), so no zero fill is needed.
        using var meanProbs = lists.WantsScores(layer) ? _backend.AllocateUninitialized(DType.F32, indices.Shape) : null; // [nnz]
        _backend.AttentionDecode(q3, kCache, vCache, indptr, indices, _scale, attention, meanProbs);
        if (meanProbs is not null) lists.OnScores(layer, meanProbs);
    }
}
