// PLACEHOLDER (skeleton): replaced by the real implementation of Add.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void Add(Tensor a, Tensor b, Tensor y) => throw new NotImplementedException("PLACEHOLDER: Add");
}
