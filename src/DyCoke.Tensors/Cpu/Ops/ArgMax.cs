// PLACEHOLDER (skeleton): replaced by the real implementation of ArgMax.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void ArgMax(Tensor x, Tensor indices) => throw new NotImplementedException("PLACEHOLDER: ArgMax");
}
