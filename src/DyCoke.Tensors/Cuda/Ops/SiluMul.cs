// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of SiluMul.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void SiluMul(Tensor gateUp, Tensor y) => throw new NotImplementedException("PLACEHOLDER: CUDA SiluMul");
}
