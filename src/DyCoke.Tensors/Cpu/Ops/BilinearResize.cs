// Channels-last bilinear resize matching PyTorch interpolate(mode="bilinear", align_corners=False, antialias=False);
// LLaVA-OneVision pools each frame's 27×27 feature grid to 14×14 with it.
using System.Numerics;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// x F32 [N, Hin, Win, C] → y F32 [N, Hout, Wout, C]. Per output axis: scale = in/out (rounded to float),
    /// src = max((dst + 0.5)·scale − 0.5, 0), i0 = floor(src), i1 = min(i0 + 1, in − 1), λ = src − i0; then
    /// y = (1−λh)·((1−λw)·x[i0h, i0w] + λw·x[i0h, i1w]) + λh·((1−λw)·x[i1h, i0w] + λw·x[i1h, i1w]).
    /// Equal to PyTorch's CPU result on the NCHW permutation of the same data up to the rounding of the blend (≤ 2 ulp).
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape (N and C must match; an empty input cannot fill a non-empty output).</exception>
    public unsafe void BilinearResize(Tensor x, Tensor y)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.Rank(x, 4, nameof(x));
        TensorCheck.Rank(y, 4, nameof(y));
        if (y.Shape[0] != x.Shape[0] || y.Shape[3] != x.Shape[3])
            throw new ArgumentException($"y {y.Shape} must keep N and C of x {x.Shape} (channels-last [N, H, W, C])", nameof(y));
        if (y.NumElements > 0 && (x.Shape[1] == 0 || x.Shape[2] == 0))
            throw new ArgumentException($"x {x.Shape} has no pixels to fill y {y.Shape}", nameof(x));
        if (y.NumElements == 0) return;

        int n = (int)x.Shape[0], hIn = checked((int)x.Shape[1]), wIn = checked((int)x.Shape[2]), c = checked((int)x.Shape[3]);
        int hOut = checked((int)y.Shape[1]), wOut = checked((int)y.Shape[2]);
        var rowTaps = ResizeTaps(hIn, hOut); // [Hout]
        var colTaps = ResizeTaps(wIn, wOut); // [Wout]
        nint xp = x.Pointer, yp = y.Pointer;
        ParallelFor(checked(n * hOut), 8L * wOut * c, (start, end) =>
        {
            for (int item = start; item < end; item++)
            {
                int image = item / hOut, oh = item % hOut;
                var (h0, h1, lh) = rowTaps[oh];
                float* top = (float*)xp + ((long)image * hIn + h0) * wIn * c; // [Win, C]
                float* bottom = (float*)xp + ((long)image * hIn + h1) * wIn * c; // [Win, C]
                float* output = (float*)yp + ((long)image * hOut + oh) * wOut * c; // [Wout, C]
                for (int ow = 0; ow < wOut; ow++)
                {
                    var (w0, w1, lw) = colTaps[ow];
                    BlendPixel(
                        new ReadOnlySpan<float>(top + (long)w0 * c, c), new ReadOnlySpan<float>(top + (long)w1 * c, c),
                        new ReadOnlySpan<float>(bottom + (long)w0 * c, c), new ReadOnlySpan<float>(bottom + (long)w1 * c, c),
                        (1f - lh) * (1f - lw), (1f - lh) * lw, lh * (1f - lw), lh * lw,
                        new Span<float>(output + (long)ow * c, c));
                }
            }
        });
    }

    // Source taps (i0, i1, λ) for each output index along one axis, computed as PyTorch's CPU kernel does: the scale
    // rounded to float, the source index in double (this reproduces torch 1.13's weights bit for bit; a float source
    // index would move λ by up to 2e-6 at index ~26).
    private static (int I0, int I1, float Lambda)[] ResizeTaps(int inSize, int outSize)
    {
        var taps = new (int, int, float)[outSize];
        double scale = (float)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double src = Math.Max(scale * (o + 0.5) - 0.5, 0);
            int i0 = Math.Min((int)src, inSize - 1);
            int i1 = Math.Min(i0 + 1, inSize - 1);
            taps[o] = (i0, i1, (float)(src - i0));
        }
        return taps;
    }

    // out = a·p00 + b·p01 + c·p10 + d·p11 over the channels of one output pixel.
    private static void BlendPixel(
        ReadOnlySpan<float> p00, ReadOnlySpan<float> p01, ReadOnlySpan<float> p10, ReadOnlySpan<float> p11,
        float a, float b, float c, float d, Span<float> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> va = new(a), vb = new(b), vc = new(c), vd = new(d);
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var sum = va * new Vector<float>(p00[i..]) + vb * new Vector<float>(p01[i..])
                    + vc * new Vector<float>(p10[i..]) + vd * new Vector<float>(p11[i..]);
                sum.CopyTo(output[i..]);
            }
        }
        for (; i < output.Length; i++)
            output[i] = a * p00[i] + b * p01[i] + c * p10[i] + d * p11[i];
    }
}
