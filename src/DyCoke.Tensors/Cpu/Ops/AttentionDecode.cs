// PLACEHOLDER (skeleton): replaced by the real implementation of AttentionDecode.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs) => throw new NotImplementedException("PLACEHOLDER: AttentionDecode");
}
