// PLACEHOLDER (skeleton): replaced by the real implementation of SiluMul.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void SiluMul(Tensor gateUp, Tensor y) => throw new NotImplementedException("PLACEHOLDER: SiluMul");
}
