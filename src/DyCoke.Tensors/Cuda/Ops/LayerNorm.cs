// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of LayerNorm.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y) => throw new NotImplementedException("PLACEHOLDER: CUDA LayerNorm");
}
