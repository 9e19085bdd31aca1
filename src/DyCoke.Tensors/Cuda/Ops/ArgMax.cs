// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of ArgMax.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void ArgMax(Tensor x, Tensor indices) => throw new NotImplementedException("PLACEHOLDER: CUDA ArgMax");
}
