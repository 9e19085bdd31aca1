// The per-layer KV slot pools: K (after RoPE) and V of every cached token, one row per slot (page size 1, so a slot
// list can address any subset of a sequence's tokens; architecture.md §5). Tensors only: which slots a sequence owns
// is the caller's business (Generator now, the engine's block manager later).
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>K and V pools [S, Hkv, D] per layer, allocated on a backend in the activation dtype.</summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys; // per layer [S, Hkv, D]
    private readonly Tensor[] _values; // per layer [S, Hkv, D]

    /// <summary>Allocates <paramref name="numSlots"/> zeroed slots per layer for <paramref name="config"/>'s shapes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">numSlots is not positive.</exception>
    public KvCache(IBackend backend, Qwen2Config config, int numSlots, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numSlots);
        NumSlots = numSlots;
        NumKvHeads = config.NumKeyValueHeads;
        HeadDim = config.HeadDim;
        var shape = new Shape(numSlots, NumKvHeads, HeadDim);
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        try
        {
            for (int i = 0; i < _keys.Length; i++)
            {
                _keys[i] = backend.Allocate(dtype, shape);
                _values[i] = backend.Allocate(dtype, shape);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        DType = dtype;
    }

    public int NumLayers => _keys.Length;

    /// <summary>S, the slots per layer.</summary>
    public int NumSlots { get; }

    public int NumKvHeads { get; }

    public int HeadDim { get; }

    public DType DType { get; }

    /// <summary>Bytes held by all pools: 2 · layers · S · Hkv · D · sizeof(dtype).</summary>
    public long ByteCount => 2L * NumLayers * NumSlots * NumKvHeads * HeadDim * DType.SizeOf();

    /// <summary>Layer <paramref name="layerIndex"/>'s key pool [S, Hkv, D] (keys stored after RoPE).</summary>
    public Tensor Keys(int layerIndex) => _keys[layerIndex];

    /// <summary>Layer <paramref name="layerIndex"/>'s value pool [S, Hkv, D].</summary>
    public Tensor Values(int layerIndex) => _values[layerIndex];

    public void Dispose()
    {
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
    }
}
