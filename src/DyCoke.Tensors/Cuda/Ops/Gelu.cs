// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of Gelu.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void Gelu(Tensor x, GeluApproximation approximation, Tensor y) => throw new NotImplementedException("PLACEHOLDER: CUDA Gelu");
}
