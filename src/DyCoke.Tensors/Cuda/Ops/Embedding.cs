// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of Embedding.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void Embedding(Tensor ids, Tensor table, Tensor y) => throw new NotImplementedException("PLACEHOLDER: CUDA Embedding");
}
