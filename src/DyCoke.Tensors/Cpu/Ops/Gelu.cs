// PLACEHOLDER (skeleton): replaced by the real implementation of Gelu.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void Gelu(Tensor x, GeluApproximation approximation, Tensor y) => throw new NotImplementedException("PLACEHOLDER: Gelu");
}
