// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of AttentionDecode.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs) => throw new NotImplementedException("PLACEHOLDER: CUDA AttentionDecode");
}
