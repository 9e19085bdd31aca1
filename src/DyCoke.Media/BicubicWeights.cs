// The resampling weights of one axis, computed exactly as Pillow's precompute_coeffs + normalize_coeffs_8bpc:
// Keys cubic (a = -0.5), support 2 widened by the downscale factor, double precision, normalised per output pixel,
// then rounded half away from zero to 22-bit fixed point. Also an RGB-expanded, zero-padded copy for the SIMD pass.
using System.Numerics;

namespace DyCoke.Media;

/// <summary>For output i: <see cref="Count"/>[i] taps from input <see cref="Start"/>[i] with weights at i * <see cref="KernelSize"/>.</summary>
internal sealed class BicubicWeights
{
    /// <summary>Fixed-point fraction bits: 32 bits minus 8 for the pixel, minus 2 for the sum's overshoot.</summary>
    public const int PrecisionBits = 32 - 8 - 2;
    private const double Support = 2.0;
    private const double A = -0.5;

    private BicubicWeights(int[] start, int[] count, int[] weights, int kernelSize)
    {
        Start = start;
        Count = count;
        Weights = weights;
        KernelSize = kernelSize;

        // Each weight three times (R, G, B share it) and the taps padded with zero weights to whole vectors, so the
        // SIMD pass reads whole vectors of interleaved pixels without a tail loop.
        int lanes = Vector<int>.Count;
        PaddedTaps = (kernelSize + lanes - 1) / lanes * lanes;
        var expanded = new int[count.Length * 3 * PaddedTaps]; // [out, PaddedTaps, 3]
        for (int i = 0; i < count.Length; i++)
        {
            for (int k = 0; k < count[i]; k++)
            {
                int w = weights[i * kernelSize + k];
                int at = (i * PaddedTaps + k) * 3;
                expanded[at] = expanded[at + 1] = expanded[at + 2] = w;
            }
        }
        RgbWeights = expanded;
    }

    public int[] Start { get; } // [out]
    public int[] Count { get; } // [out]
    public int[] Weights { get; } // [out, KernelSize], 22-bit fixed point
    public int KernelSize { get; }

    /// <summary>Taps per output rounded up to a multiple of <c>Vector&lt;int&gt;.Count</c>.</summary>
    public int PaddedTaps { get; }

    /// <summary>Weights repeated per channel and zero-padded: [out, PaddedTaps, 3].</summary>
    public int[] RgbWeights { get; }

    /// <summary>Weights to resize an axis of <paramref name="inSize"/> pixels to <paramref name="outSize"/>.</summary>
    public static BicubicWeights Create(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = Support * filterScale;
        int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize]; // [out]
        var count = new int[outSize]; // [out]
        var weights = new int[outSize * kernelSize]; // [out, kernelSize]
        var raw = new double[kernelSize]; // [kernelSize]
        double inverse = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++)
        {
            // Same double expressions, in the same order, as Pillow; (int) truncates toward zero like C.
            double center = (i + 0.5) * scale;
            int min = Math.Max((int)(center - support + 0.5), 0);
            int max = Math.Min((int)(center + support + 0.5), inSize) - min;
            double total = 0.0;
            for (int k = 0; k < max; k++)
            {
                double w = Cubic((k + min - center + 0.5) * inverse);
                raw[k] = w;
                total += w;
            }
            for (int k = 0; k < max; k++)
            {
                double normalized = total != 0.0 ? raw[k] / total : raw[k];
                weights[i * kernelSize + k] = normalized < 0
                    ? (int)(-0.5 + normalized * (1 << PrecisionBits))
                    : (int)(0.5 + normalized * (1 << PrecisionBits));
            }
            start[i] = min;
            count[i] = max;
        }
        return new BicubicWeights(start, count, weights, kernelSize);
    }

    /// <summary>Keys' cubic convolution kernel with a = -0.5, written as Pillow evaluates it.</summary>
    internal static double Cubic(double x)
    {
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * A;
        return 0.0;
    }
}
