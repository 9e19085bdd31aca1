// One pre-LN SigLIP encoder layer (llava-onevision.md §4.1): x += Attn(LN1(x)); x += MLP(LN2(x)), full (non-causal)
// attention within each frame, tanh GELU in the MLP.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Siglip;

/// <summary>A SigLIP encoder layer; HF <c>SiglipEncoderLayer</c> with its <c>SiglipAttention</c> and <c>SiglipMLP</c>.</summary>
public sealed class SiglipEncoderLayer
{
    private readonly IBackend _backend;
    private readonly SiglipVisionConfig _config;
    private readonly Tensor _layerNorm1Weight, _layerNorm1Bias; // [C]
    private readonly Tensor _qWeight, _kWeight, _vWeight, _outWeight; // [C, C]
    private readonly Tensor _qBias, _kBias, _vBias, _outBias; // [C]
    private readonly Tensor _layerNorm2Weight, _layerNorm2Bias; // [C]
    private readonly Tensor _fc1Weight; // [I, C]
    private readonly Tensor _fc1Bias; // [I]
    private readonly Tensor _fc2Weight; // [C, I]
    private readonly Tensor _fc2Bias; // [C]

    internal SiglipEncoderLayer(IBackend backend, SiglipVisionConfig config, WeightLoader weights, int layerIndex)
    {
        _backend = backend;
        _config = config;
        Tensor W(string suffix) => weights.Weight(WeightMap.VisionLayer(layerIndex, suffix), SiglipVisionTower.Component);
        _layerNorm1Weight = W("layer_norm1.weight");
        _layerNorm1Bias = W("layer_norm1.bias");
        _qWeight = W("self_attn.q_proj.weight");
        _qBias = W("self_attn.q_proj.bias");
        _kWeight = W("self_attn.k_proj.weight");
        _kBias = W("self_attn.k_proj.bias");
        _vWeight = W("self_attn.v_proj.weight");
        _vBias = W("self_attn.v_proj.bias");
        _outWeight = W("self_attn.out_proj.weight");
        _outBias = W("self_attn.out_proj.bias");
        _layerNorm2Weight = W("layer_norm2.weight");
        _layerNorm2Bias = W("layer_norm2.bias");
        _fc1Weight = W("mlp.fc1.weight");
        _fc1Bias = W("mlp.fc1.bias");
        _fc2Weight = W("mlp.fc2.weight");
        _fc2Bias = W("mlp.fc2.bias");
    }

    /// <summary>
    /// Runs the layer on <paramref name="x"/> [T, C] in place (T = frames × P). <paramref name="cuSeqLens"/> I32 [F + 1]
    /// marks the frames: attention never crosses a frame.
    /// </summary>
    public void Forward(Tensor x, Tensor cuSeqLens)
    {
        var b = _backend;
        long t = x.Shape[0];
        int c = _config.HiddenSize, heads = _config.NumAttentionHeads, d = _config.HeadDim;
        var headShape = new Shape(t, heads, d);
        float eps = _config.LayerNormEps;

        // Attention block: h = LN1(x); q, k, v; softmax(q·kᵀ/√D)·v per frame; x += out_proj(·).
        using var h = b.AllocateUninitialized(x.DType, x.Shape); // [T, C]
        b.LayerNorm(x, _layerNorm1Weight, _layerNorm1Bias, eps, h);
        using var q = b.AllocateUninitialized(x.DType, x.Shape); // [T, C] = [T, H, D]
        using var k = b.AllocateUninitialized(x.DType, x.Shape); // [T, C] = [T, H, D]
        using var v = b.AllocateUninitialized(x.DType, x.Shape); // [T, C] = [T, H, D]
        b.Linear(h, _qWeight, _qBias, q);
        b.Linear(h, _kWeight, _kBias, k);
        b.Linear(h, _vWeight, _vBias, v);
        using var attention = b.Allocate(x.DType, headShape); // [T, H, D]
        b.AttentionPrefill(q.Reshape(headShape), k.Reshape(headShape), v.Reshape(headShape), cuSeqLens,
            causal: false, scale: (float)Math.Pow(d, -0.5), attention);
        b.Linear(attention.Reshape(new Shape(t, c)), _outWeight, _outBias, h);
        b.Add(x, h, x);

        // MLP block: x += fc2(gelu_tanh(fc1(LN2(x)))).
        b.LayerNorm(x, _layerNorm2Weight, _layerNorm2Bias, eps, h);
        using var hidden = b.AllocateUninitialized(x.DType, new Shape(t, _config.IntermediateSize)); // [T, I]
        b.Linear(h, _fc1Weight, _fc1Bias, hidden);
        b.Gelu(hidden, GeluApproximation.Tanh, hidden);
        b.Linear(hidden, _fc2Weight, _fc2Bias, h);
        b.Add(x, h, x);
    }
}
