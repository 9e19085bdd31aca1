// PLACEHOLDER (skeleton): replaced by the real implementation of LayerNorm.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y) => throw new NotImplementedException("PLACEHOLDER: LayerNorm");
}
