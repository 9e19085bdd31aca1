// BilinearResize on CUDA (Kernels/bilinear_resize.cu): one thread per output element, channels-last.
namespace DyCoke.Tensors.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// x [N, Hin, Win, C] → y [N, Hout, Wout, C], PyTorch <c>interpolate(mode="bilinear", align_corners=False)</c> on the
    /// NCHW permutation of the same data. x and y share one float dtype; N and C must match.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape (an empty input cannot fill a non-empty output).</exception>
    public void BilinearResize(Tensor x, Tensor y)
    {
        OnDevice(x, y);
        TensorCheck.IsFloat(x, nameof(x));
        TensorCheck.Is(y, x.DType, nameof(y));
        TensorCheck.Rank(x, 4, nameof(x));
        TensorCheck.Rank(y, 4, nameof(y));
        if (y.Shape[0] != x.Shape[0] || y.Shape[3] != x.Shape[3])
            throw new ArgumentException($"y {y.Shape} must keep N and C of x {x.Shape} (channels-last [N, H, W, C])", nameof(y));
        if (y.NumElements > 0 && (x.Shape[1] == 0 || x.Shape[2] == 0))
            throw new ArgumentException($"x {x.Shape} has no pixels to fill y {y.Shape}", nameof(x));
        long n = y.NumElements; // [N · Hout · Wout · C] flat
        if (n == 0) return;
        for (int axis = 1; axis < 4; axis++)
            if (x.Shape[axis] > int.MaxValue || y.Shape[axis] > int.MaxValue)
                throw new ArgumentException($"x {x.Shape} or y {y.Shape} has a dimension too large for the kernel", nameof(x));

        int hIn = (int)x.Shape[1], wIn = (int)x.Shape[2], hOut = (int)y.Shape[1], wOut = (int)y.Shape[2], c = (int)x.Shape[3];
        // In C# float arithmetic, as the CPU backend (and PyTorch) computes the scale.
        float scaleH = (float)hIn / hOut, scaleW = (float)wIn / wOut;
        var args = new KernelArgs().Add(x).Add(y).Add(hIn).Add(wIn).Add(hOut).Add(wOut).Add(c).Add(scaleH).Add(scaleW).Add(n);
        Launch($"dyc_bilinear_resize_{Suffix(x.DType)}", ElementwiseGrid(n), ElementwiseBlock, args);
    }
}
