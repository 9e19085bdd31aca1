// The seam for DyCoke's dynamic KV pruning (issue 7, dycoke-algorithm.md §4): in decode, the model asks per layer which
// cached slots each sequence attends to, and hands one layer's attention probabilities back before moving on. An
// explicit argument of Decode, never global state; FullKvLists is the no-pruning default.
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>Per-layer slot lists for one decode step of a batch (CSR over the B sequences).</summary>
public interface IDecodeKvLists
{
    /// <summary>
    /// The slots layer <paramref name="layerIndex"/> attends to: sequence b reads Indices[Indptr[b] .. Indptr[b + 1]).
    /// Indptr I32 [B + 1], Indices I32 [nnz], on the model's backend; each list must include the sequence's new slot.
    /// Called once per layer, in layer order, after <see cref="OnScores"/> for earlier layers.
    /// </summary>
    (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex);

    /// <summary>The layer whose mean-over-heads attention probabilities <see cref="OnScores"/> receives; −1 for none.</summary>
    int ScoreLayer { get; }

    /// <summary>
    /// Receives F32 [nnz] probabilities for the lists of <see cref="ScoreLayer"/>: entry j is the mean over the H query
    /// heads of the softmax weight of listed slot j. Valid only during the call; copy what must be kept.
    /// </summary>
    void OnScores(Tensor meanProbs);
}

/// <summary>Every layer attends to the same lists (no pruning, no scores): the model without DyCoke.</summary>
public sealed class FullKvLists : IDecodeKvLists, IDisposable
{
    private readonly Tensor _indptr; // [B + 1]
    private readonly Tensor _indices; // [nnz]

    private FullKvLists(Tensor indptr, Tensor indices)
    {
        _indptr = indptr;
        _indices = indices;
    }

    public int ScoreLayer => -1;

    /// <summary>Uploads one list per sequence: <paramref name="slotsPerSequence"/>[b] are the slots sequence b attends to.</summary>
    /// <exception cref="ArgumentException">No sequences, or a sequence with an empty list.</exception>
    public static FullKvLists Create(IBackend backend, IReadOnlyList<int[]> slotsPerSequence)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(slotsPerSequence);
        if (slotsPerSequence.Count == 0) throw new ArgumentException("no sequences", nameof(slotsPerSequence));
        var indptr = new int[slotsPerSequence.Count + 1]; // [B + 1]
        for (int b = 0; b < slotsPerSequence.Count; b++)
        {
            if (slotsPerSequence[b] is not { Length: > 0 })
                throw new ArgumentException($"sequence {b} has no slots; it must at least attend to its new token", nameof(slotsPerSequence));
            indptr[b + 1] = checked(indptr[b] + slotsPerSequence[b].Length);
        }
        var indices = new int[indptr[^1]]; // [nnz]
        for (int b = 0; b < slotsPerSequence.Count; b++) slotsPerSequence[b].CopyTo(indices, indptr[b]);

        var indptrTensor = BackendTensors.UploadInts(backend, indptr);
        try
        {
            return new FullKvLists(indptrTensor, BackendTensors.UploadInts(backend, indices));
        }
        catch
        {
            indptrTensor.Dispose();
            throw;
        }
    }

    public (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex) => (_indptr, _indices);

    public void OnScores(Tensor meanProbs) =>
        throw new InvalidOperationException("FullKvLists asks for no scores (ScoreLayer is −1)");

    public void Dispose()
    {
        _indptr.Dispose();
        _indices.Dispose();
    }
}
