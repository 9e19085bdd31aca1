// TopK on CUDA (Kernels/topk.cu): one block per row; radix select, compaction, then a bitonic sort of the k winners.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    // The sort network indexes a power of two above N in an int.
    private const long MaxTopKColumns = 1L << 30;

    /// <summary>
    /// Per row of scores [R, N] (F32/F16/BF16; leading dims fold into R): the k largest values in descending order,
    /// equal values by ascending index. NaN ranks above +Inf (as torch.topk), so NaNs come first, by index; −0 and +0
    /// are equal. values F32 [R, k] (widened exactly); indices I32 [R, k]; 0 ≤ k ≤ N. Fast for k ≤ 4096 (sorted in
    /// shared memory); larger k sorts in the output buffer in global memory.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or larger than N.</exception>
    public void TopK(Tensor scores, int k, Tensor values, Tensor indices)
    {
        OnDevice(scores, values, indices);
        TensorCheck.IsFloat(scores, nameof(scores));
        TensorCheck.Is(values, DType.F32, nameof(values));
        TensorCheck.Is(indices, DType.I32, nameof(indices));
        if (scores.Shape.Rank < 1)
            throw new ArgumentException($"scores has shape {scores.Shape}, expected rank ≥ 1", nameof(scores));
        long n = scores.Shape.LastDim; // N
        if (n > MaxTopKColumns)
            throw new ArgumentException($"scores {scores.Shape} has rows longer than {MaxTopKColumns}", nameof(scores));
        if (k < 0 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, {n}] for scores {scores.Shape}");
        TensorCheck.ShapeIs(values, scores.Shape.WithDim(-1, k), nameof(values));
        TensorCheck.ShapeIs(indices, scores.Shape.WithDim(-1, k), nameof(indices));
        long rows = scores.Shape.Rows;
        if (k == 0 || rows == 0) return;
        var args = new KernelArgs().Add(scores).Add(values).Add(indices).Add((int)n).Add(k);
        Launch($"dyc_topk_{Suffix(scores.DType)}", RowGrid(rows, scores, nameof(scores)), RowBlockSize(n), args);
    }
}
