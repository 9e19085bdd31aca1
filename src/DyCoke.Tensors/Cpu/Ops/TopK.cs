// PLACEHOLDER (skeleton): replaced by the real implementation of TopK.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void TopK(Tensor scores, int k, Tensor values, Tensor indices) => throw new NotImplementedException("PLACEHOLDER: TopK");
}
