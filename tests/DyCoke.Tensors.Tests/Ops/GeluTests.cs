// Gelu (erf and tanh forms) against double references, PyTorch outputs, and its argument checks.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class GeluTests
{
    private static double Reference(GeluApproximation approximation, double x) =>
        approximation == GeluApproximation.Erf ? ReferenceMath.GeluErf(x) : ReferenceMath.GeluTanh(x);

    // Erf form: evaluated in double, so only the final rounding to float remains (half an ulp, 6e-8 relative).
    // Tanh form: float evaluation through TensorPrimitives.Sigmoid, a few ulp.
    private static (double Atol, double Rtol) Tolerance(GeluApproximation approximation) =>
        approximation == GeluApproximation.Erf ? (1e-12, 1.2e-7) : (1e-7, 2e-6);

    [Theory]
    [InlineData(GeluApproximation.Erf, 1)]
    [InlineData(GeluApproximation.Erf, 3)]
    [InlineData(GeluApproximation.Erf, 7)]
    [InlineData(GeluApproximation.Erf, 17)]
    [InlineData(GeluApproximation.Erf, 33)]
    [InlineData(GeluApproximation.Erf, 257)]
    [InlineData(GeluApproximation.Erf, 40999)]
    [InlineData(GeluApproximation.Tanh, 1)]
    [InlineData(GeluApproximation.Tanh, 3)]
    [InlineData(GeluApproximation.Tanh, 7)]
    [InlineData(GeluApproximation.Tanh, 17)]
    [InlineData(GeluApproximation.Tanh, 33)]
    [InlineData(GeluApproximation.Tanh, 257)]
    [InlineData(GeluApproximation.Tanh, 40999)]
    public void Gelu_RandomInputs_MatchesDoubleReference(GeluApproximation approximation, int n)
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(n, new Shape(n), -9f, 9f);
        using var y = Tensor.Cpu(DType.F32, new Shape(n));
        backend.Gelu(x, approximation, y);
        var input = x.Span<float>();
        var expected = new float[n];
        for (int i = 0; i < n; i++) expected[i] = (float)Reference(approximation, input[i]);
        var (atol, rtol) = Tolerance(approximation);
        TestTensors.AssertClose(expected, y.Span<float>(), atol, rtol, $"gelu {approximation}");
    }

    [Theory]
    [InlineData(-1.4f, 1.4f)] // every |x/√2| < 1: only the polynomial piece
    [InlineData(1.42f, 12f)] // only the erfc piece
    [InlineData(-12f, -1.42f)]
    public void Gelu_ErfInputsWithinOnePiece_MatchesDoubleReference(float lo, float hi)
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(11, new Shape(1027), lo, hi);
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.Gelu(x, GeluApproximation.Erf, y);
        var expected = x.ToFloatArray().Select(v => (float)ReferenceMath.GeluErf(v)).ToArray();
        var (atol, rtol) = Tolerance(GeluApproximation.Erf);
        TestTensors.AssertClose(expected, y.Span<float>(), atol, rtol, "gelu erf");
    }

    [Theory]
    [InlineData(GeluApproximation.Erf)]
    [InlineData(GeluApproximation.Tanh)]
    public void Gelu_InPlaceOnMatrix_EqualsOutOfPlace(GeluApproximation approximation)
    {
        using var backend = new CpuBackend();
        using var x = TestTensors.Random(5, new Shape(96, 257), -6f, 6f);
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.Gelu(x, approximation, y);
        backend.Gelu(x, approximation, x);
        Assert.Equal(y.Span<float>().ToArray(), x.Span<float>().ToArray());
    }

    [Theory]
    [InlineData(GeluApproximation.Erf)]
    [InlineData(GeluApproximation.Tanh)]
    public void Gelu_SpecialValues_FollowPyTorch(GeluApproximation approximation)
    {
        using var backend = new CpuBackend();
        float[] special = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 30f, -30f];
        using var x = Tensor.FromArray(special, new Shape(special.Length));
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        backend.Gelu(x, approximation, y);
        var r = y.Span<float>();
        Assert.Equal(0f, r[0]);
        Assert.Equal(0f, r[1]);
        Assert.Equal(float.PositiveInfinity, r[2]);
        Assert.True(float.IsNaN(r[3])); // −∞ · 0, as torch.nn.functional.gelu
        Assert.True(float.IsNaN(r[4]));
        Assert.Equal(30f, r[5]);
        Assert.True(r[6] <= 0 && r[6] > -1e-30f, $"gelu(-30) = {r[6]}");
    }

    [Fact]
    public void Gelu_PyTorchFixture_MatchesBothForms()
    {
        var fixture = TestTensors.LoadFixture("gelu_softmax.json");
        float[] input = TestTensors.Floats(fixture.GetProperty("gelu_x"));
        using var backend = new CpuBackend();
        using var x = Tensor.FromArray(input, new Shape(input.Length));
        using var y = Tensor.Cpu(DType.F32, x.Shape);
        foreach (var (approximation, key) in new[] { (GeluApproximation.Erf, "gelu_erf"), (GeluApproximation.Tanh, "gelu_tanh") })
        {
            backend.Gelu(x, approximation, y);
            // PyTorch evaluates both forms in float: a few ulp.
            TestTensors.AssertClose(TestTensors.Floats(fixture.GetProperty(key)), y.Span<float>(), 1e-6, 1e-6, key);
        }
    }

    [Fact]
    public void Gelu_LargeTensorOnOneAndFourThreads_Identical()
    {
        using var one = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        using var four = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        using var x = TestTensors.Random(9, new Shape(64, 4099), -5f, 5f);
        using var a = Tensor.Cpu(DType.F32, x.Shape);
        using var b = Tensor.Cpu(DType.F32, x.Shape);
        one.Gelu(x, GeluApproximation.Erf, a);
        four.Gelu(x, GeluApproximation.Erf, b);
        Assert.Equal(a.Span<float>().ToArray(), b.Span<float>().ToArray());
    }

    [Fact]
    public void Gelu_BadArguments_Throw()
    {
        using var backend = new CpuBackend();
        using var x = Tensor.Cpu(DType.F32, new Shape(4, 8));
        using var shorter = Tensor.Cpu(DType.F32, new Shape(4, 7));
        using var half = Tensor.Cpu(DType.F16, new Shape(4, 8));
        Assert.Throws<ArgumentException>(() => backend.Gelu(x, GeluApproximation.Erf, shorter));
        Assert.Throws<ArgumentException>(() => backend.Gelu(half, GeluApproximation.Erf, x));
        Assert.Throws<ArgumentException>(() => backend.Gelu(x, GeluApproximation.Tanh, half));
        Assert.Throws<ArgumentException>(() => backend.Gelu(x, (GeluApproximation)7, x));
    }
}
