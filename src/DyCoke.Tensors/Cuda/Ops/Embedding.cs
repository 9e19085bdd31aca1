// Embedding on CUDA (Kernels/embedding.cu): one block per token, table rows converted to the activation dtype.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// y[t, :] = table[ids[t], :] converted to y's dtype. ids I32 [T]; table [V, C] F32/F16/BF16; y [T, C] F32/F16/BF16
    /// (the activation dtype; equal dtypes copy exactly, otherwise one round-to-nearest-even).
    /// Precondition (not checked: the ids live on the GPU): every id is in [0, V).
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public void Embedding(Tensor ids, Tensor table, Tensor y)
    {
        OnDevice(ids, table, y);
        TensorCheck.Is(ids, DType.I32, nameof(ids));
        TensorCheck.Rank(ids, 1, nameof(ids));
        TensorCheck.IsFloat(table, nameof(table));
        TensorCheck.Rank(table, 2, nameof(table));
        TensorCheck.IsFloat(y, nameof(y));
        TensorCheck.ShapeIs(y, new Shape(ids.Shape[0], table.Shape[1]), nameof(y));

        long tokens = ids.Shape[0], cols = table.Shape[1];
        if (tokens == 0 || cols == 0) return;
        if (table.Shape[0] == 0)
            throw new ArgumentException($"table {table.Shape} has no rows to look up", nameof(table));
        if (cols > int.MaxValue)
            throw new ArgumentException($"table {table.Shape} has rows too long for one block", nameof(table));
        var args = new KernelArgs().Add(ids).Add(table).Add(KindCode(table.DType)).Add(y).Add((int)cols);
        Launch($"dyc_embedding_{Suffix(y.DType)}", RowGrid(tokens, ids, nameof(ids)), RowBlockSize(cols), args);
    }
}
