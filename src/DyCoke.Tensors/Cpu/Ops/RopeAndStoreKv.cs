// PLACEHOLDER (skeleton): replaced by the real implementation of RopeAndStoreKv.
namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    public void RopeAndStoreKv(Tensor q, Tensor k, Tensor v, Tensor positions, Tensor slotMapping, Tensor kCache, Tensor vCache, float theta) => throw new NotImplementedException("PLACEHOLDER: RopeAndStoreKv");
}
