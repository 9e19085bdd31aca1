// PLACEHOLDER (skeleton): replaced by the real implementation of BilinearResize.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void BilinearResize(Tensor x, Tensor y) => throw new NotImplementedException("PLACEHOLDER: BilinearResize");
}
