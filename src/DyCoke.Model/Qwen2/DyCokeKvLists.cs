// Decode slot lists with DyCoke's dynamic pruning (dycoke-algorithm.md §4, §7): layers < L attend to every slot, layer
// L − 1 hands its mean attention back, each DyCoke sequence decides its step, and layers ≥ L attend to
// prefix ∪ kept visual ∪ suffix. Sequences without DP state (or unpruned this step) keep their full lists.
using DyCoke.Compression;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>One sequence of a DyCoke decode step.</summary>
/// <param name="Slots">The KV slot of every logical position 0..p, the new token's slot last (so p = Length − 1).</param>
/// <param name="Pruning">The sequence's DP state, or null when it does not use DP (no video, DyCoke off).</param>
public readonly record struct DyCokeSequence(int[] Slots, DynamicKvPruning? Pruning);

/// <summary>The <see cref="IDecodeKvLists"/> of one decode step of a batch mixing DP and plain sequences.</summary>
public sealed class DyCokeKvLists : IDecodeKvLists, IDisposable
{
    private readonly IBackend _backend;
    private readonly DyCokeSequence[] _sequences;
    private readonly int _firstPrunedLayer; // L, or int.MaxValue when no sequence prunes
    private readonly Tensor _fullIndptr; // [B + 1]
    private readonly Tensor _fullIndices; // [nnz], logical order per sequence
    private readonly int[] _fullOffsets; // [B + 1] host copy of _fullIndptr
    private Tensor? _prunedIndptr; // [B + 1], after OnScores
    private Tensor? _prunedIndices; // [nnz'], after OnScores
    private readonly DyCokeStep?[] _steps; // [B]

    private DyCokeKvLists(IBackend backend, DyCokeSequence[] sequences, int firstPrunedLayer, int[] offsets, Tensor indptr, Tensor indices)
    {
        _backend = backend;
        _sequences = sequences;
        _firstPrunedLayer = firstPrunedLayer;
        _fullOffsets = offsets;
        _fullIndptr = indptr;
        _fullIndices = indices;
        _steps = new DyCokeStep?[sequences.Length];
    }

    /// <summary>L − 1 when some sequence has DP state, else −1.</summary>
    public int ScoreLayer => _firstPrunedLayer == int.MaxValue ? -1 : _firstPrunedLayer - 1;

    /// <summary>Each sequence's DP decision for this step (null for sequences without DP), set by <see cref="OnScores"/>.</summary>
    public IReadOnlyList<DyCokeStep?> Steps => _steps;

    /// <summary>Uploads the full lists of one decode step.</summary>
    /// <exception cref="ArgumentException">No sequences, an empty slot list, a DP sequence whose span does not end
    /// before its new token, or DP sequences with different L (one score layer serves the whole batch).</exception>
    public static DyCokeKvLists Create(IBackend backend, IReadOnlyList<DyCokeSequence> sequences)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("no sequences", nameof(sequences));
        int firstPruned = int.MaxValue;
        var offsets = new int[sequences.Count + 1]; // [B + 1]
        for (int b = 0; b < sequences.Count; b++)
        {
            var (slots, pruning) = sequences[b];
            if (slots is not { Length: > 0 })
                throw new ArgumentException($"sequence {b} has no slots; it must at least attend to its new token", nameof(sequences));
            if (pruning is not null)
            {
                if (pruning.SpanStart + pruning.SpanLength >= slots.Length)
                    throw new ArgumentException($"sequence {b}: the visual span [{pruning.SpanStart}, {pruning.SpanStart + pruning.SpanLength}) does not end before the new token at {slots.Length - 1}", nameof(sequences));
                if (firstPruned != int.MaxValue && firstPruned != pruning.FirstPrunedLayer)
                    throw new ArgumentException($"sequence {b} prunes from layer {pruning.FirstPrunedLayer} but another from {firstPruned}; one batch needs one L", nameof(sequences));
                firstPruned = pruning.FirstPrunedLayer;
            }
            offsets[b + 1] = checked(offsets[b] + slots.Length);
        }
        var indices = new int[offsets[^1]]; // [nnz]
        for (int b = 0; b < sequences.Count; b++) sequences[b].Slots.CopyTo(indices, offsets[b]);
        var indptrTensor = backend.UploadInts(offsets); // [B + 1]
        try
        {
            return new DyCokeKvLists(backend, sequences.ToArray(), firstPruned, offsets, indptrTensor, backend.UploadInts(indices));
        }
        catch
        {
            indptrTensor.Dispose();
            throw;
        }
    }

    /// <exception cref="InvalidOperationException">A layer ≥ L is asked for before the scores arrived.</exception>
    public (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex)
    {
        if (layerIndex < _firstPrunedLayer) return (_fullIndptr, _fullIndices);
        if (_prunedIndptr is null || _prunedIndices is null)
            throw new InvalidOperationException($"layer {layerIndex} needs the pruned lists, but layer {ScoreLayer}'s scores have not arrived");
        return (_prunedIndptr, _prunedIndices);
    }

    /// <summary>Reads the scores back, lets every DP sequence decide, and uploads the lists for layers ≥ L.</summary>
    /// <exception cref="ArgumentException">meanProbs does not have one entry per listed slot.</exception>
    public void OnScores(Tensor meanProbs)
    {
        ArgumentNullException.ThrowIfNull(meanProbs);
        if (meanProbs.NumElements != _fullOffsets[^1])
            throw new ArgumentException($"meanProbs is {meanProbs}, expected [{_fullOffsets[^1]}] (one per listed slot)", nameof(meanProbs));
        float[] probs = _backend.ReadFloats(meanProbs); // [nnz]
        var lists = new int[_sequences.Length][];
        for (int b = 0; b < _sequences.Length; b++)
        {
            var (slots, pruning) = _sequences[b];
            lists[b] = slots;
            if (pruning is null) continue;
            // The full list is in logical order, so list entry j is position j.
            var span = probs.AsSpan(_fullOffsets[b] + pruning.SpanStart, pruning.SpanLength); // [len]
            var step = pruning.Decide(span);
            _steps[b] = step;
            if (!step.Pruned) continue;
            int[] positions = pruning.AttendedPositions(step, slots.Length - 1);
            var pruned = new int[positions.Length];
            for (int i = 0; i < positions.Length; i++) pruned[i] = slots[positions[i]];
            lists[b] = pruned;
        }
        var offsets = new int[_sequences.Length + 1]; // [B + 1]
        for (int b = 0; b < lists.Length; b++) offsets[b + 1] = offsets[b] + lists[b].Length;
        var indices = new int[offsets[^1]]; // [nnz']
        for (int b = 0; b < lists.Length; b++) lists[b].CopyTo(indices, offsets[b]);
        _prunedIndptr?.Dispose();
        _prunedIndices?.Dispose();
        _prunedIndptr = _backend.UploadInts(offsets);
        _prunedIndices = _backend.UploadInts(indices);
    }

    public void Dispose()
    {
        _fullIndptr.Dispose();
        _fullIndices.Dispose();
        _prunedIndptr?.Dispose();
        _prunedIndices?.Dispose();
    }
}
