// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of Softmax.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void Softmax(Tensor x, Tensor y) => throw new NotImplementedException("PLACEHOLDER: CUDA Softmax");
}
