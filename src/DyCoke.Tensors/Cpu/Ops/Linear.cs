// PLACEHOLDER (skeleton): replaced by the real implementation of Linear.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y) => throw new NotImplementedException("PLACEHOLDER: Linear");

    private string GemmName => "unset";

    private void InitializeGemm() { }

    private void DisposeGemm() { }
}
