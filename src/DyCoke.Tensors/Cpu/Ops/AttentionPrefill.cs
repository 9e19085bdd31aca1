// PLACEHOLDER (skeleton): replaced by the real implementation of AttentionPrefill.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void AttentionPrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, bool causal, float scale, Tensor output) => throw new NotImplementedException("PLACEHOLDER: AttentionPrefill");
}
