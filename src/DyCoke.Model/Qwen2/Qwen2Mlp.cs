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
    private readonly Tensor _gateWeight, _upWeight; // [I, C]
    private readonly Tensor _downWeight; // [C, I]

    public Qwen2Mlp(IBackend backend, Qwen2Config config, WeightLoader weights, int layerIndex)
    {
        _backend = backend;
        _gateWeight = weights.Weight(WeightMap.TextLayer(layerIndex, "mlp.gate_proj.weight"), Qwen2Model.Component);
        _upWeight = weights.Weight(WeightMap.TextLayer(layerIndex, "mlp.up_proj.weight"), Qwen2Model.Component);
        _downWeight = weights.Weight(WeightMap.TextLayer(layerIndex, "mlp.down_proj.weight"), Qwen2Model.Component);
    }

    /// <summary>output [T, C] = down(silu(gate(h)) ⊙ up(h)) for h [T, C], through the gate/up/activation buffers.</summary>
    public void Forward(Tensor h, Tensor output, LayerBuffers buffers)
    {
        var b = _backend;
        b.Linear(h, _gateWeight, null, buffers.Gate); // [T, I]
        b.Linear(h, _upWeight, null, buffers.Up); // [T, I]
        b.SiluMul(buffers.GateUpRow, buffers.ActivatedRow); // [1, 2·T·I] → [1, T·I]
        b.Linear(buffers.Activated, _downWeight, null, output);
    }
}
