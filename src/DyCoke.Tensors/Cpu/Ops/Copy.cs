// PLACEHOLDER (skeleton): replaced by the real implementation of Copy.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void Copy(Tensor src, Tensor dst) => throw new NotImplementedException("PLACEHOLDER: Copy");
}
