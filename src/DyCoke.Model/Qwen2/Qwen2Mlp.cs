// The Qwen2 gated MLP: down(silu(gate(x)) ⊙ up(x)).
// gate and up stay two Linears over the memory-mapped weights: fusing them into one [2I, C] matrix would copy 2·I·C
// weights per layer at load (418 MB for 0.5B), which the load budget has no room for. The two outputs go to the halves
// of one [2, T, I] buffer; seen flat as [1, 2·T·I], SiluMul's "first half gate, second half up" is exactly that layout.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>HF <c>Qwen2MLP</c> (SiLU-gated, no biases).</summary>
internal sealed class Qwen2Mlp
{
    private readonly IBackend _backend;
    private readonly int _intermediateSize;
    private readonly Tensor _gateWeight, _upWeight; // [I, C]
    private readonly Tensor _downWeight; // [C, I]

    public Qwen2Mlp(IBackend backend, Qwen2Config config, WeightLoader weights, int layerIndex)
    {
        _backend = backend;
        _intermediateSize = config.IntermediateSize;
        _gateWeight = weights.Weight(WeightMap.TextLayer(layerIndex, "mlp.gate_proj.weight"), Qwen2Model.Component);
        _upWeight = weights.Weight(WeightMap.TextLayer(layerIndex, "mlp.up_proj.weight"), Qwen2Model.Component);
        _downWeight = weights.Weight(WeightMap.TextLayer(layerIndex, "mlp.down_proj.weight"), Qwen2Model.Component);
    }

    /// <summary>output [T, C] = down(silu(gate(h)) ⊙ up(h)) for h [T, C].</summary>
    public void Forward(Tensor h, Tensor output)
    {
        var b = _backend;
        long t = h.Shape[0];
        int inter = _intermediateSize;
        using var gateUp = b.AllocateUninitialized(h.DType, new Shape(2, t, inter)); // [2, T, I]: gate rows, then up rows
        b.Linear(h, _gateWeight, null, gateUp.Rows(0, 1).Reshape(new Shape(t, inter)));
        b.Linear(h, _upWeight, null, gateUp.Rows(1, 1).Reshape(new Shape(t, inter)));
        using var activated = b.AllocateUninitialized(h.DType, new Shape(t, inter)); // [T, I]
        b.SiluMul(gateUp.Reshape(new Shape(1, 2 * t * inter)), activated.Reshape(new Shape(1, t * inter)));
        b.Linear(activated, _downWeight, null, output);
    }
}
