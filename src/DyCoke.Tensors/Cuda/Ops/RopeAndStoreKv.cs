// PLACEHOLDER (skeleton): replaced by the real CUDA implementation of RopeAndStoreKv.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    public void RopeAndStoreKv(Tensor q, Tensor k, Tensor v, Tensor positions, Tensor slotMapping, Tensor kCache, Tensor vCache, float theta) => throw new NotImplementedException("PLACEHOLDER: CUDA RopeAndStoreKv");
}
