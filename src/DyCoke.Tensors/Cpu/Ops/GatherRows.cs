// PLACEHOLDER (skeleton): replaced by the real implementation of GatherRows.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void GatherRows(Tensor src, Tensor indices, Tensor dst) => throw new NotImplementedException("PLACEHOLDER: GatherRows");
}
