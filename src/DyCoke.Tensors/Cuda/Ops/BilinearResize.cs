// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of BilinearResize.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void BilinearResize(Tensor x, Tensor y) => throw new NotImplementedException("PLACEHOLDER: CUDA BilinearResize");
}
