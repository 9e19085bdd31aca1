// Launch geometry shared by the CUDA ops: grid-stride elementwise launches and the dtype codes of runtime-typed kernels.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Threads per block of the elementwise (grid-stride) kernels.</summary>
    private const int ElementwiseBlock = 256;

    // Enough blocks to fill any current GPU several times over; the grid-stride loops cover larger tensors, and
    // a capped grid keeps the block count far below the 2³¹ − 1 limit of gridDim.x.
    private const long MaxElementwiseBlocks = 1 << 16;

    /// <summary>Blocks for an elementwise kernel over <paramref name="n"/> elements (at least 1; callers skip n = 0).</summary>
    private static uint ElementwiseGrid(long n) => (uint)Math.Clamp((n + ElementwiseBlock - 1) / ElementwiseBlock, 1, MaxElementwiseBlocks);

    /// <summary>Grid of a one-block-per-row kernel; gridDim.x stops at 2³¹ − 1.</summary>
    private static uint RowGrid(long rows, Tensor t, string name) => rows <= int.MaxValue
        ? (uint)rows
        : throw new ArgumentException($"{name} {t.Shape} has {rows} rows, more than one launch covers ({int.MaxValue})", name);

    /// <summary>The DYC_KIND_* code (dyc_common.cuh) of a dtype that runtime-typed kernels read: the DType byte value.</summary>
    private static int KindCode(DType dtype) => dtype switch
    {
        DType.F32 or DType.F16 or DType.BF16 or DType.I32 or DType.I64 => (int)dtype,
        _ => throw new ArgumentException($"no CUDA kernel reads {dtype} as a number"),
    };
}
