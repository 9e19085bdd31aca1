// Parity of the CUDA elementwise, norm and row ops with the CPU reference backend on random inputs, in F32, F16 and
// BF16. Inputs are exactly representable in the dtype, the CPU runs on their F32 widening, and the GPU result may
// differ by its fp32 evaluation order and its one final rounding (CudaOpsFixture.Rtol). GPU hosts only.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

[Trait("Category", "Gpu")]
[Collection(CudaOpsCollection.Name)]
public sealed class CudaOpsTests(CudaOpsFixture fixture)
{
    // Absolute slack for outputs near zero, where a relative bound means nothing.
    private const double Atol = 1e-6;

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Add_RandomAndAliased_MatchesCpu(DType dtype)
    {
        var gpu = fixture.Gpu();
        var shape = new Shape(7, 333);
        using var a = TestTensors.Random(1, shape, dtype, -4f, 4f); // [7, 333]
        using var b = TestTensors.Random(2, shape, dtype, -4f, 4f); // [7, 333]
        using var expected = Tensor.Cpu(DType.F32, shape); // [7, 333]
        using (var a32 = CudaOpsFixture.Widen(a))
        using (var b32 = CudaOpsFixture.Widen(b))
            fixture.Cpu.Add(a32, b32, expected);

        using var da = fixture.Upload(a);
        using var db = fixture.Upload(b);
        using var dy = gpu.Allocate(dtype, shape);
        gpu.Add(da, db, dy);
        gpu.Add(da, db, da); // in place over a
        using var y = fixture.Download(dy);
        using var aliased = fixture.Download(da);
        TestTensors.AssertClose(expected.ToFloatArray(), y.ToFloatArray(), Atol, CudaOpsFixture.Rtol(dtype), "y");
        TestTensors.AssertClose(y.ToFloatArray(), aliased.ToFloatArray(), 0, 0, "y aliasing a");
    }

    [Theory]
    [InlineData(DType.F32, DType.F32)]
    [InlineData(DType.BF16, DType.BF16)]
    [InlineData(DType.BF16, DType.F32)]
    [InlineData(DType.F16, DType.BF16)]
    public void AddBias_EveryRow_AddsTheBias(DType dtype, DType biasType)
    {
        var gpu = fixture.Gpu();
        const int Rows = 5, Cols = 301;
        using var y = TestTensors.Random(3, new Shape(Rows, Cols), dtype); // [R, C]
        using var bias = TestTensors.Random(4, new Shape(Cols), biasType); // [C]
        float[] yv = y.ToFloatArray(), bv = bias.ToFloatArray();
        var expected = new float[Rows * Cols];
        for (int i = 0; i < expected.Length; i++) expected[i] = yv[i] + bv[i % Cols];

        using var dy = fixture.Upload(y);
        using var dbias = fixture.Upload(bias);
        gpu.AddBias(dy, dbias, Rows, Cols);
        using var actual = fixture.Download(dy);
        TestTensors.AssertClose(expected, actual.ToFloatArray(), Atol, CudaOpsFixture.Rtol(dtype), "y + bias");
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void SiluMul_RandomGateUp_MatchesCpu(DType dtype)
    {
        var gpu = fixture.Gpu();
        using var gateUp = TestTensors.Random(5, new Shape(2, 3, 2 * 300), dtype, -6f, 6f); // [2, 3, 2I]
        var outShape = new Shape(2, 3, 300); // [2, 3, I]
        using var expected = Tensor.Cpu(DType.F32, outShape);
        using (var g32 = CudaOpsFixture.Widen(gateUp))
            fixture.Cpu.SiluMul(g32, expected);

        using var dg = fixture.Upload(gateUp);
        using var dy = gpu.Allocate(dtype, outShape);
        gpu.SiluMul(dg, dy);
        using var y = fixture.Download(dy);
        TestTensors.AssertClose(expected.ToFloatArray(), y.ToFloatArray(), Atol, CudaOpsFixture.Rtol(dtype), "silu(g)·u");
    }

    [Theory]
    [InlineData(DType.F32, GeluApproximation.Erf)]
    [InlineData(DType.F32, GeluApproximation.Tanh)]
    [InlineData(DType.F16, GeluApproximation.Erf)]
    [InlineData(DType.BF16, GeluApproximation.Erf)]
    [InlineData(DType.BF16, GeluApproximation.Tanh)]
    public void Gelu_RandomAndAliased_MatchesCpu(DType dtype, GeluApproximation approximation)
    {
        var gpu = fixture.Gpu();
        var shape = new Shape(9, 1000);
        using var x = TestTensors.Random(6, shape, dtype, -8f, 8f); // [9, 1000]
        using var expected = Tensor.Cpu(DType.F32, shape);
        using (var x32 = CudaOpsFixture.Widen(x))
            fixture.Cpu.Gelu(x32, approximation, expected);

        using var dx = fixture.Upload(x);
        using var dy = gpu.Allocate(dtype, shape);
        gpu.Gelu(dx, approximation, dy);
        gpu.Gelu(dx, approximation, dx); // in place
        using var y = fixture.Download(dy);
        using var aliased = fixture.Download(dx);
        // erf(c) and exp(c) on the GPU are within a few ulp; negative inputs reach the far tail, hence the atol.
        TestTensors.AssertClose(expected.ToFloatArray(), y.ToFloatArray(), 1e-6, CudaOpsFixture.Rtol(dtype), $"gelu {approximation}");
        TestTensors.AssertClose(y.ToFloatArray(), aliased.ToFloatArray(), 0, 0, "y aliasing x");
    }

    [Theory]
    [InlineData(DType.F32, 1152)]
    [InlineData(DType.F32, 7)]
    [InlineData(DType.F16, 1152)]
    [InlineData(DType.BF16, 1152)]
    public void LayerNorm_OffsetRows_MatchesCpu(DType dtype, int cols)
    {
        var gpu = fixture.Gpu();
        var shape = new Shape(5, cols);
        // An offset of 3 makes a one-pass variance lose digits; the two-pass kernel must not.
        using var x = TestTensors.Random(7, shape, dtype, 2f, 4f); // [5, C]
        using var weight = TestTensors.Random(8, new Shape(cols), dtype, 0.5f, 1.5f); // [C]
        using var bias = TestTensors.Random(9, new Shape(cols), dtype, -0.5f, 0.5f); // [C]
        using var expected = Tensor.Cpu(DType.F32, shape);
        using (var x32 = CudaOpsFixture.Widen(x))
        using (var w32 = CudaOpsFixture.Widen(weight))
        using (var b32 = CudaOpsFixture.Widen(bias))
            fixture.Cpu.LayerNorm(x32, w32, b32, 1e-6f, expected);

        using var dx = fixture.Upload(x);
        using var dw = fixture.Upload(weight);
        using var db = fixture.Upload(bias);
        using var dy = gpu.Allocate(dtype, shape);
        gpu.LayerNorm(dx, dw, db, 1e-6f, dy);
        using var y = fixture.Download(dy);
        // (x − mean)·inv·w + b can cancel to near zero, where only an absolute bound is meaningful.
        TestTensors.AssertClose(expected.ToFloatArray(), y.ToFloatArray(), 2e-5, CudaOpsFixture.Rtol(dtype), "layer norm");
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Softmax_RandomRowsWithMaskedEntries_MatchesCpu(DType dtype)
    {
        var gpu = fixture.Gpu();
        var shape = new Shape(6, 1000);
        float[] values = CudaOpsFixture.RandomValues(10, shape, -10f, 10f);
        for (int i = 0; i < values.Length; i += 17) values[i] = float.NegativeInfinity; // masked positions get 0
        using var x = CudaOpsFixture.Narrow(values, dtype, shape); // [6, 1000]
        using var expected = Tensor.Cpu(DType.F32, shape);
        using (var x32 = CudaOpsFixture.Widen(x))
            fixture.Cpu.Softmax(x32, expected);

        using var dx = fixture.Upload(x);
        using var dy = gpu.Allocate(dtype, shape);
        gpu.Softmax(dx, dy);
        using var y = fixture.Download(dy);
        TestTensors.AssertClose(expected.ToFloatArray(), y.ToFloatArray(), 1e-7, CudaOpsFixture.Rtol(dtype), "softmax");
        float[] probs = y.ToFloatArray();
        for (int r = 0; r < 6; r++)
            Assert.InRange(probs.AsSpan(r * 1000, 1000).ToArray().Sum(), 0.99f, 1.01f);
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void RowCosine_RandomZeroEqualAndOpposite_MatchesCpu(DType dtype)
    {
        var gpu = fixture.Gpu();
        const int Rows = 9, Cols = 1152;
        var shape = new Shape(Rows, Cols);
        float[] av = CudaOpsFixture.RandomValues(11, shape);
        float[] bv = CudaOpsFixture.RandomValues(12, shape);
        Array.Clear(av, 0, Cols); // row 0: a zero row gives 0
        Array.Copy(av, Cols, bv, Cols, Cols); // row 1: b = a gives 1
        for (int c = 0; c < Cols; c++) bv[2 * Cols + c] = -av[2 * Cols + c]; // row 2: b = −a gives −1
        using var a = CudaOpsFixture.Narrow(av, dtype, shape); // [R, C]
        using var b = CudaOpsFixture.Narrow(bv, dtype, shape); // [R, C]
        using var expected = Tensor.Cpu(DType.F32, new Shape(Rows)); // [R]
        using (var a32 = CudaOpsFixture.Widen(a))
        using (var b32 = CudaOpsFixture.Widen(b))
            fixture.Cpu.RowCosine(a32, b32, expected);

        using var da = fixture.Upload(a);
        using var db = fixture.Upload(b);
        using var dout = gpu.Allocate(DType.F32, new Shape(Rows));
        gpu.RowCosine(da, db, dout);
        using var actual = fixture.Download(dout);
        // The output is F32 whatever the input dtype, and both backends see the same input values.
        TestTensors.AssertClose(expected.ToFloatArray(), actual.ToFloatArray(), 1e-6, 1e-5, "cosine");
        Assert.Equal(0f, actual.ToFloatArray()[0]);
    }

    [Theory]
    [InlineData(DType.F32, 2, 27, 27, 8, 14, 14)] // LLaVA-OneVision's 27×27 → 14×14 pooling
    [InlineData(DType.F32, 1, 5, 7, 3, 9, 4)] // up in H, down in W
    [InlineData(DType.BF16, 2, 27, 27, 8, 14, 14)]
    [InlineData(DType.F16, 1, 6, 6, 5, 6, 6)] // identity size
    public void BilinearResize_Shapes_MatchCpu(DType dtype, int n, int hIn, int wIn, int c, int hOut, int wOut)
    {
        var gpu = fixture.Gpu();
        using var x = TestTensors.Random(13, new Shape(n, hIn, wIn, c), dtype); // [N, Hin, Win, C]
        var outShape = new Shape(n, hOut, wOut, c); // [N, Hout, Wout, C]
        using var expected = Tensor.Cpu(DType.F32, outShape);
        using (var x32 = CudaOpsFixture.Widen(x))
            fixture.Cpu.BilinearResize(x32, expected);

        using var dx = fixture.Upload(x);
        using var dy = gpu.Allocate(dtype, outShape);
        gpu.BilinearResize(dx, dy);
        using var y = fixture.Download(dy);
        TestTensors.AssertClose(expected.ToFloatArray(), y.ToFloatArray(), Atol, CudaOpsFixture.Rtol(dtype), "resize");
    }

    [Fact]
    public void HostChecks_BadArguments_Throw()
    {
        var gpu = fixture.Gpu();
        using var x = gpu.Allocate(DType.F32, new Shape(2, 4)); // [2, 4]
        using var y16 = gpu.Allocate(DType.F16, new Shape(2, 4)); // [2, 4]
        using var y3 = gpu.Allocate(DType.F32, new Shape(2, 3)); // [2, 3]
        using var host = Tensor.Cpu(DType.F32, new Shape(2, 4)); // [2, 4]
        Assert.Throws<ArgumentException>(() => gpu.Add(x, x, y16));
        Assert.Throws<ArgumentException>(() => gpu.Add(x, x, y3));
        Assert.Throws<ArgumentException>(() => gpu.Softmax(host, x));
        Assert.Throws<ArgumentException>(() => gpu.SiluMul(y3, y3));
        Assert.Throws<ArgumentException>(() => gpu.Gelu(x, (GeluApproximation)7, x));
    }
}
