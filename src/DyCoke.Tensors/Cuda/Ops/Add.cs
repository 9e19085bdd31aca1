// Add and Linear's bias add on CUDA (Kernels/add.cu): grid-stride elementwise launches.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>y = a + b elementwise; a, b, y of one float dtype and one shape. y may alias a or b (exactly, not shifted).</summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public void Add(Tensor a, Tensor b, Tensor y)
    {
        OnDevice(a, b, y);
        TensorCheck.IsFloat(a, nameof(a));
        TensorCheck.Is(b, a.DType, nameof(b));
        TensorCheck.Is(y, a.DType, nameof(y));
        TensorCheck.SameShape(a, b, nameof(a), nameof(b));
        TensorCheck.SameShape(a, y, nameof(a), nameof(y));
        long n = a.NumElements; // [n] flat
        if (n == 0) return;
        var args = new KernelArgs().Add(a).Add(b).Add(y).Add(n);
        Launch($"dyc_add_{Suffix(a.DType)}", ElementwiseGrid(n), ElementwiseBlock, args);
    }

    /// <summary>
    /// y[r, c] += bias[c] in place, for y seen as [rows, cols] (Linear's output). The bias may be any float dtype; the
    /// sum is computed in fp32 and rounded once to y's dtype.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    internal void AddBias(Tensor y, Tensor bias, long rows, long cols)
    {
        OnDevice(y, bias);
        TensorCheck.IsFloat(bias, nameof(bias));
        TensorCheck.ShapeIs(bias, new Shape(cols), nameof(bias));
        if (rows * cols != y.NumElements)
            throw new ArgumentException($"y {y.Shape} is not [{rows}, {cols}]", nameof(y));
        if (cols > int.MaxValue)
            throw new ArgumentException($"bias {bias.Shape} is longer than one kernel index covers", nameof(bias));
        long n = y.NumElements; // [rows · cols] flat
        if (n == 0) return;
        var args = new KernelArgs().Add(y).Add(bias).Add(KindCode(bias.DType)).Add(n).Add((int)cols);
        Launch($"dyc_add_bias_{Suffix(y.DType)}", ElementwiseGrid(n), ElementwiseBlock, args);
    }
}
