// Gelu on CUDA (Kernels/gelu.cu): one grid-stride launch, erf or tanh form.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// y = gelu(x) elementwise; x and y of one float dtype and equal element count (y may alias x). Erf: x·Φ(x) through
    /// erfc, accurate far into the negative tail; tanh: x·sigmoid(2u), u = √(2/π)(x + 0.044715x³).
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype, element count or approximation.</exception>
    public void Gelu(Tensor x, GeluApproximation approximation, Tensor y)
    {
        OnDevice(x, y);
        TensorCheck.IsFloat(x, nameof(x));
        TensorCheck.Is(y, x.DType, nameof(y));
        TensorCheck.SameElementCount(x, y, nameof(x), nameof(y));
        string form = approximation switch
        {
            GeluApproximation.Erf => "erf",
            GeluApproximation.Tanh => "tanh",
            _ => throw new ArgumentException($"unknown GELU approximation {approximation}", nameof(approximation)),
        };
        long n = x.NumElements; // [n] flat
        if (n == 0) return;
        var args = new KernelArgs().Add(x).Add(y).Add(n);
        Launch($"dyc_gelu_{form}_{Suffix(x.DType)}", ElementwiseGrid(n), ElementwiseBlock, args);
    }
}
