// PLACEHOLDER (skeleton): replaced by the real implementation of Convert.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void Convert(Tensor src, Tensor dst) => throw new NotImplementedException("PLACEHOLDER: Convert");
}
