// The intermediates of one Qwen2 decoder layer, allocated once per forward and reused by every layer: layers run one
// after another and each overwrites these in full before reading them, so a 4-layer decode step makes 7 allocations
// instead of 28, and the shaped views below are made once too (per-op tensor objects and block-cache round trips were
// about a quarter of the host work left on a 16-stream demo decode step, docs/benchmarks.md).
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>Per-forward scratch for <see cref="Qwen2DecoderLayer"/> over T tokens; the caller disposes it after the
/// last layer.</summary>
internal sealed class LayerBuffers : IDisposable
{
    private readonly Tensor[] _owned;

    public LayerBuffers(IBackend backend, DType dtype, Qwen2Config config, long tokens)
    {
        Tokens = tokens;
        long t = tokens;
        int c = config.HiddenSize, heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, d = config.HeadDim;
        int inter = config.IntermediateSize;
        var owned = new List<Tensor>(7);
        Tensor New(Shape shape)
        {
            var tensor = backend.AllocateUninitialized(dtype, shape);
            owned.Add(tensor);
            return tensor;
        }
        try
        {
            Normed = New(new Shape(t, c));
            Delta = New(new Shape(t, c));
            Q = New(new Shape(t, heads * d));
            K = New(new Shape(t, kvHeads * d));
            V = New(new Shape(t, kvHeads * d));
            var gateUp = New(new Shape(2, t, inter));
            Activated = New(new Shape(t, inter));
            Q3 = Q.Reshape(new Shape(t, heads, d));
            K3 = K.Reshape(new Shape(t, kvHeads, d));
            V3 = V.Reshape(new Shape(t, kvHeads, d));
            Gate = gateUp.Rows(0, 1).Reshape(new Shape(t, inter));
            Up = gateUp.Rows(1, 1).Reshape(new Shape(t, inter));
            GateUpRow = gateUp.Reshape(new Shape(1, 2 * t * inter));
            ActivatedRow = Activated.Reshape(new Shape(1, t * inter));
        }
        catch
        {
            foreach (var tensor in owned) tensor.Dispose();
            throw;
        }
        _owned = [.. owned];
    }

    /// <summary>T, the rows these buffers hold.</summary>
    public long Tokens { get; }

    /// <summary>[T, C] the normalised input of each block.</summary>
    public Tensor Normed { get; }

    /// <summary>[T, C] each block's output, added into the residual stream.</summary>
    public Tensor Delta { get; }

    /// <summary>[T, H·D], [T, Hkv·D], [T, Hkv·D]: the projections, and the same as [T, H, D], [T, Hkv, D], [T, Hkv, D].</summary>
    public Tensor Q { get; }
    public Tensor K { get; }
    public Tensor V { get; }
    public Tensor Q3 { get; }
    public Tensor K3 { get; }
    public Tensor V3 { get; }

    /// <summary>[T, I] each: the gate rows and the up rows of one [2, T, I] buffer, which SiluMul reads as one row
    /// <see cref="GateUpRow"/> [1, 2·T·I].</summary>
    public Tensor Gate { get; }
    public Tensor Up { get; }
    public Tensor GateUpRow { get; }

    /// <summary>[T, I] silu(gate) ⊙ up, and the same as one row [1, T·I].</summary>
    public Tensor Activated { get; }
    public Tensor ActivatedRow { get; }

    public void Dispose()
    {
        foreach (var tensor in _owned) tensor.Dispose();
    }
}
