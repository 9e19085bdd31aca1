// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of GatherRows.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void GatherRows(Tensor src, Tensor indices, Tensor dst) => throw new NotImplementedException("PLACEHOLDER: CUDA GatherRows");
}
