// The seam for DyCoke's dynamic KV pruning (issue 7, dycoke-algorithm.md §4): in decode, the model asks per layer which
// cached slots each sequence attends to, and hands the attention probabilities of every layer that wants them back
// before moving on. An explicit argument of Decode, never global state.
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>Per-layer slot lists for one decode step of a batch (CSR over the B sequences).</summary>
public interface IDecodeKvLists
{
    /// <summary>
    /// The slots layer <paramref name="layerIndex"/> attends to: sequence b reads Indices[Indptr[b] .. Indptr[b + 1]).
    /// Indptr I32 [B + 1], Indices I32 [nnz], on the model's backend; each list must include the sequence's new slot.
    /// Called once per layer, in layer order, after <see cref="OnScores"/> for earlier layers, right before the layer's
    /// attention op (after its projections), so work started in OnScores has every op in between to run beside.
    /// </summary>
    (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex);

    /// <summary>Whether <see cref="OnScores"/> wants layer <paramref name="layerIndex"/>'s mean-over-heads attention
    /// probabilities. Asked once per layer, before that layer's attention op.</summary>
    bool WantsScores(int layerIndex);

    /// <summary>
    /// Receives F32 [nnz] probabilities over the lists <see cref="ListsFor"/> gave layer <paramref name="layerIndex"/>
    /// (one that <see cref="WantsScores"/> asked for): entry j is the mean over the H query heads of the softmax weight
    /// of listed slot j. Called right after that layer's attention op, before the rest of the layer and before the next
    /// layer asks for its lists. Valid only during the call; copy what must be kept.
    /// </summary>
    void OnScores(int layerIndex, Tensor meanProbs);
}
