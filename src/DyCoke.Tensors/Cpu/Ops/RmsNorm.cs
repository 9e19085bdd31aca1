// PLACEHOLDER (skeleton): replaced by the real implementation of RmsNorm.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void RmsNorm(Tensor x, Tensor weight, float eps, Tensor y) => throw new NotImplementedException("PLACEHOLDER: RmsNorm");

    public void AddRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps, Tensor y) => throw new NotImplementedException("PLACEHOLDER: RmsNorm");
}
