// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of RowCosine.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void RowCosine(Tensor a, Tensor b, Tensor output) => throw new NotImplementedException("PLACEHOLDER: CUDA RowCosine");
}
