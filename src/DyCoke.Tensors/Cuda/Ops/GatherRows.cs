// GatherRows on CUDA (Kernels/gather_rows.cu): one block per gathered row, copied in the widest aligned word.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// dst[i, ...] = src[indices[i], ...]: rows along the first dimension, of any dtype. src [R, ...] of rank ≥ 1,
    /// indices I32 [n], dst [n, ...] with src's dtype and trailing dimensions. Indices may repeat.
    /// Precondition (not checked: the indices live on the GPU): every index is in [0, R).
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public void GatherRows(Tensor src, Tensor indices, Tensor dst)
    {
        OnDevice(src, indices, dst);
        TensorCheck.Is(indices, DType.I32, nameof(indices));
        TensorCheck.Rank(indices, 1, nameof(indices));
        TensorCheck.Is(dst, src.DType, nameof(dst));
        if (src.Shape.Rank < 1)
            throw new ArgumentException($"src has shape {src.Shape}, expected rank ≥ 1", nameof(src));
        TensorCheck.ShapeIs(dst, src.Shape.WithDim(0, indices.Shape[0]), nameof(dst));

        long rows = src.Shape[0], n = indices.Shape[0];
        if (n == 0) return;
        if (rows == 0)
            throw new ArgumentException($"src {src.Shape} has no rows to gather from", nameof(src));
        long rowBytes = src.ByteCount / rows;
        if (rowBytes == 0) return;

        int word = GatherWordBytes(rowBytes, src.Pointer, dst.Pointer);
        long rowWords = rowBytes / word;
        string kernel = word switch
        {
            16 => "dyc_gather_rows_u128",
            8 => "dyc_gather_rows_u64",
            4 => "dyc_gather_rows_u32",
            2 => "dyc_gather_rows_u16",
            _ => "dyc_gather_rows_u8",
        };
        var args = new KernelArgs().Add(src).Add(indices).Add(dst).Add(rowWords);
        Launch(kernel, RowGrid(n, indices, nameof(indices)), (int)Math.Clamp((rowWords + 31) / 32 * 32, 32, 256), args);
    }

    // Row views (Tensor.Rows) can start at any element, so alignment is checked on the actual addresses.
    private static int GatherWordBytes(long rowBytes, nint srcAddress, nint dstAddress)
    {
        for (int word = 16; word > 1; word >>= 1)
            if (rowBytes % word == 0 && srcAddress % word == 0 && dstAddress % word == 0) return word;
        return 1;
    }
}
