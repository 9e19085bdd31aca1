// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of TopK.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void TopK(Tensor scores, int k, Tensor values, Tensor indices) => throw new NotImplementedException("PLACEHOLDER: CUDA TopK");
}
