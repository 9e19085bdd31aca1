// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of AttentionPrefill.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void AttentionPrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, bool causal, float scale, Tensor output) => throw new NotImplementedException("PLACEHOLDER: CUDA AttentionPrefill");
}
