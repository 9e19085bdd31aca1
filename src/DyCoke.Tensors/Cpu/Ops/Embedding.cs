// PLACEHOLDER (skeleton): replaced by the real implementation of Embedding.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void Embedding(Tensor ids, Tensor table, Tensor y) => throw new NotImplementedException("PLACEHOLDER: Embedding");
}
