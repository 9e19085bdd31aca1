// BilinearResize against a double reference of PyTorch's align_corners=False rule and a PyTorch 27×27→14×14 fixture.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class BilinearResizeTests
{
    // Source taps along one axis by PyTorch's rule, in double except the scale, which PyTorch rounds to float
    // (that rounding alone moves λ by up to 5e-7 at 27→14).
    private static (int I0, int I1, double Lambda) Tap(int dst, int inSize, int outSize)
    {
        double scale = (float)inSize / outSize;
        double src = Math.Max((dst + 0.5) * scale - 0.5, 0);
        int i0 = (int)Math.Floor(src);
        return (i0, Math.Min(i0 + 1, inSize - 1), src - i0);
    }

    private static float[] Reference(float[] x, int n, int hIn, int wIn, int c, int hOut, int wOut)
    {
        var y = new float[n * hOut * wOut * c];
        double At(int image, int h, int w, int ch) => x[((image * hIn + h) * wIn + w) * c + ch];
        for (int image = 0; image < n; image++)
            for (int oh = 0; oh < hOut; oh++)
                for (int ow = 0; ow < wOut; ow++)
                {
                    var (h0, h1, lh) = Tap(oh, hIn, hOut);
                    var (w0, w1, lw) = Tap(ow, wIn, wOut);
                    for (int ch = 0; ch < c; ch++)
                    {
                        double top = (1 - lw) * At(image, h0, w0, ch) + lw * At(image, h0, w1, ch);
                        double bottom = (1 - lw) * At(image, h1, w0, ch) + lw * At(image, h1, w1, ch);
                        y[((image * hOut + oh) * wOut + ow) * c + ch] = (float)((1 - lh) * top + lh * bottom);
                    }
                }
        return y;
    }

    [Theory]
    [InlineData(1, 27, 27, 1, 14, 14)]
    [InlineData(2, 27, 27, 3, 14, 14)]
    [InlineData(1, 5, 7, 7, 3, 4)]
    [InlineData(2, 4, 4, 17, 9, 7)] // upsampling: the last taps clamp at in − 1
    [InlineData(1, 1, 1, 33, 2, 3)] // a single pixel spreads everywhere
    [InlineData(3, 13, 9, 257, 13, 9)] // same size: identity
    [InlineData(2, 27, 27, 896, 14, 14)] // LLaVA-OV pooling width (0.5B hidden size)
    [InlineData(1, 3, 3, 4099, 2, 2)]
    public void BilinearResize_RandomInput_MatchesDoubleReference(int n, int hIn, int wIn, int c, int hOut, int wOut)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        using var x = TestTensors.Random(c, new Shape(n, hIn, wIn, c));
        using var y = Tensor.Cpu(DType.F32, new Shape(n, hOut, wOut, c));
        backend.BilinearResize(x, y);
        // Float weights and a float 4-term blend of values in [−1, 1]: a few ulp of 1.
        TestTensors.AssertClose(Reference(x.ToFloatArray(), n, hIn, wIn, c, hOut, wOut), y.Span<float>(), 6e-7, 0, "bilinear");
    }

    [Fact]
    public void BilinearResize_SameSize_ReturnsInputExactly()
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(1, new Shape(2, 6, 5, 9));
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.BilinearResize(x, y);
        Assert.Equal(x.Span<float>().ToArray(), y.Span<float>().ToArray());
    }

    [Fact]
    public void BilinearResize_PyTorchFixture27To14_Matches()
    {
        var fixture = TestTensors.LoadFixture("bilinear_27x27_to_14x14.json");
        Shape inShape = TestTensors.ShapeOf(fixture.GetProperty("input_shape")); // NCHW
        Shape outShape = TestTensors.ShapeOf(fixture.GetProperty("output_shape")); // NCHW
        Assert.Equal(new Shape(1, 3, 27, 27), inShape);
        Assert.Equal(new Shape(1, 3, 14, 14), outShape);
        float[] input = TestTensors.Floats(fixture.GetProperty("input"));
        float[] expected = TestTensors.Floats(fixture.GetProperty("output"));

        using var backend = new CpuBackend();
        using var x = Tensor.Cpu(DType.F32, new Shape(1, 27, 27, 3)); // channels-last
        using var y = Tensor.Cpu(DType.F32, new Shape(1, 14, 14, 3));
        var xs = x.Span<float>();
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 27 * 27; p++)
                xs[p * 3 + ch] = input[ch * 27 * 27 + p];
        backend.BilinearResize(x, y);
        var actual = new float[expected.Length]; // back to NCHW
        var ys = y.Span<float>();
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 14 * 14; p++)
                actual[ch * 14 * 14 + p] = ys[p * 3 + ch];
        // Same weights as torch; only the rounding of the blend differs (randn values up to ~4: 2 ulp is 5e-7).
        TestTensors.AssertClose(expected, actual, 5e-7, 0, "torch bilinear");
    }

    [Fact]
    public void BilinearResize_BadShapes_Throw()
    {
        using var backend = new CpuBackend();
        using var x = Tensor.Cpu(DType.F32, new Shape(1, 4, 4, 3));
        using var otherC = Tensor.Cpu(DType.F32, new Shape(1, 2, 2, 4));
        using var otherN = Tensor.Cpu(DType.F32, new Shape(2, 2, 2, 3));
        using var rank3 = Tensor.Cpu(DType.F32, new Shape(4, 4, 3));
        using var half = Tensor.Cpu(DType.F16, new Shape(1, 2, 2, 3));
        using var empty = Tensor.Cpu(DType.F32, new Shape(1, 0, 4, 3));
        using var y = Tensor.Cpu(DType.F32, new Shape(1, 2, 2, 3));
        Assert.Throws<ArgumentException>(() => backend.BilinearResize(x, otherC));
        Assert.Throws<ArgumentException>(() => backend.BilinearResize(x, otherN));
        Assert.Throws<ArgumentException>(() => backend.BilinearResize(rank3, y));
        Assert.Throws<ArgumentException>(() => backend.BilinearResize(x, half));
        Assert.Throws<ArgumentException>(() => backend.BilinearResize(empty, y));
    }
}
