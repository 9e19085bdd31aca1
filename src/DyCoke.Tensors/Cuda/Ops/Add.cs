// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of Add.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void Add(Tensor a, Tensor b, Tensor y) => throw new NotImplementedException("PLACEHOLDER: CUDA Add");

    internal void AddBias(Tensor y, Tensor bias, long rows, long cols) => throw new NotImplementedException("PLACEHOLDER: CUDA Add");
}
