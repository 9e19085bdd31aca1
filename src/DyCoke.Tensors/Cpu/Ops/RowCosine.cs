// PLACEHOLDER (skeleton): replaced by the real implementation of RowCosine.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void RowCosine(Tensor a, Tensor b, Tensor output) => throw new NotImplementedException("PLACEHOLDER: RowCosine");
}
