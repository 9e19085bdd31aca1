// PLACEHOLDER (skeleton): replaced by the real implementation of Softmax.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void Softmax(Tensor x, Tensor y) => throw new NotImplementedException("PLACEHOLDER: Softmax");
}
