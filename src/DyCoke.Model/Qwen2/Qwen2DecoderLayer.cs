// One Qwen2 decoder layer (llava-onevision.md §6.2): x += Attn(RmsNorm_in(x)); x += MLP(RmsNorm_post(x)).
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>HF <c>Qwen2DecoderLayer</c>, the same for prefill and decode; only the attention inputs differ.</summary>
internal sealed class Qwen2DecoderLayer
{
    private readonly IBackend _backend;
    private readonly float _eps;
    private readonly Tensor _inputLayerNorm; // [C]
    private readonly Tensor _postAttentionLayerNorm; // [C]
    private readonly Qwen2Attention _attention;
    private readonly Qwen2Mlp _mlp;

    public Qwen2DecoderLayer(IBackend backend, Qwen2Config config, WeightLoader weights, int layerIndex)
    {
        _backend = backend;
        _eps = config.RmsNormEps;
        _inputLayerNorm = weights.Weight(WeightMap.TextLayer(layerIndex, "input_layernorm.weight"), Qwen2Model.Component);
        _postAttentionLayerNorm = weights.Weight(WeightMap.TextLayer(layerIndex, "post_attention_layernorm.weight"), Qwen2Model.Component);
        _attention = new Qwen2Attention(backend, config, weights, layerIndex);
        _mlp = new Qwen2Mlp(backend, config, weights, layerIndex);
    }

    /// <summary>Advances the residual stream <paramref name="x"/> [T, C] in place through this layer, with
    /// <paramref name="buffers"/> (for T tokens) as its intermediates.</summary>
    public void Forward(Tensor x, in AttentionInputs inputs, Tensor kCache, Tensor vCache, LayerBuffers buffers)
    {
        var b = _backend;
        Tensor h = buffers.Normed, delta = buffers.Delta; // [T, C] each

        b.RmsNorm(x, _inputLayerNorm, _eps, h);
        _attention.Forward(h, inputs, kCache, vCache, delta, buffers);
        b.AddRmsNorm(delta, x, _postAttentionLayerNorm, _eps, h); // x += attention; h = RmsNorm_post(x)
        _mlp.Forward(h, delta, buffers);
        b.Add(x, delta, x);
    }
}
