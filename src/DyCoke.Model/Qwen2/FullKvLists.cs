// The default decode slot lists: every layer of every sequence attends to the slots the caller lists (DyCoke off).
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

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

    /// <summary>Always false: without DyCoke no layer's scores are needed.</summary>
    public bool WantsScores(int layerIndex) => false;

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

        var indptrTensor = backend.UploadInts(indptr); // [B + 1]
        try
        {
            return new FullKvLists(indptrTensor, backend.UploadInts(indices)); // indices [nnz]
        }
        catch
        {
            indptrTensor.Dispose();
            throw;
        }
    }

    public (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex) => (_indptr, _indices);

    /// <exception cref="InvalidOperationException">Always: these lists ask for no scores.</exception>
    public void OnScores(int layerIndex, Tensor meanProbs) =>
        throw new InvalidOperationException($"FullKvLists asks for no scores, yet layer {layerIndex} sent some");

    public void Dispose()
    {
        _indptr.Dispose();
        _indices.Dispose();
    }
}
