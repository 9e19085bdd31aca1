// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of Convert.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void Convert(Tensor src, Tensor dst) => throw new NotImplementedException("PLACEHOLDER: CUDA Convert");
}
