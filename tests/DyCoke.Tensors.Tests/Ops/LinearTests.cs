// CpuBackend.Linear against a double-accumulating reference, on every GEMM path (GEMV, blocked GEMM, OpenBLAS),
// weight dtype, thread count and ragged shape, plus argument validation.
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cpu.Interop;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public class LinearTests
{
    // (K, N): below one vector, odd sizes that leave ragged tiles and k tails, sizes spanning several threads' work
    // items, and K > ManagedGemm.MaxKc so later k-blocks accumulate into y (ragged tiles included).
    private static readonly (int K, int N)[] s_shapes =
    [
        (1, 1), (3, 5), (5, 3), (17, 33), (33, 17), (100, 100), (513, 37), (37, 513), (1031, 513), (1700, 45),
    ];

    public static TheoryData<int, DType, CpuGemmKind, int> Cases()
    {
        var data = new TheoryData<int, DType, CpuGemmKind, int>();
        foreach (int m in new[] { 1, 2, 3, 7, 64, 129 })
            foreach (DType dtype in new[] { DType.F32, DType.F16, DType.BF16 })
                foreach (CpuGemmKind kind in new[] { CpuGemmKind.Managed, CpuGemmKind.OpenBlas })
                    foreach (int threads in new[] { 1, 2 })
                        data.Add(m, dtype, kind, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Linear_RandomInputs_MatchesDoubleReference(int m, DType dtype, CpuGemmKind kind, int threads)
    {
        using var backend = CreateBackend(kind, threads);
        for (int s = 0; s < s_shapes.Length; s++)
        {
            var (k, n) = s_shapes[s];
            int seed = (m * 31 + k) * 31 + n;
            using var x = TestTensors.Random(seed, new Shape(m, k));                 // [M, K]
            using var w = TestTensors.Random(seed + 1, new Shape(n, k), dtype);      // [N, K]
            using var b = s % 2 == 0 ? TestTensors.Random(seed + 2, new Shape(n), dtype) : null; // [N]
            using var y = Tensor.Cpu(DType.F32, new Shape(m, n));                    // [M, N]
            y.Span<float>().Fill(float.NaN); // every element must be written
            backend.Linear(x, w, b, y);
            AssertMatchesReference(x, w, b, y, $"M={m} K={k} N={n} {dtype} bias={b != null} {kind} threads={threads}:");
        }
    }

    // The small-M (decode) path: every row count up to one past its limit, K below, at and across the 16-element
    // step (the 16-row chunk transposes x in 16×16 blocks plus a tail), N ragged against the 16-row W block.
    public static TheoryData<int, DType> SmallRowCases()
    {
        var data = new TheoryData<int, DType>();
        for (int m = 1; m <= 17; m++)
            foreach (DType dtype in new[] { DType.F32, DType.F16, DType.BF16 })
                data.Add(m, dtype);
        return data;
    }

    [Theory]
    [MemberData(nameof(SmallRowCases))]
    public void Linear_SmallRowCounts_MatchesDoubleReference(int m, DType dtype)
    {
        using var backend = CreateBackend(CpuGemmKind.Managed, threads: 1);
        int s = 0;
        foreach (int k in new[] { 1, 7, 16, 24, 64, 65, 200 })
            foreach (int n in new[] { 1, 3, 5, 16, 31, 33, 641 })
            {
                int seed = (m * 131 + k) * 131 + n;
                using var x = TestTensors.Random(seed, new Shape(m, k));                         // [M, K]
                using var w = TestTensors.Random(seed + 1, new Shape(n, k), dtype);              // [N, K]
                using var b = s++ % 2 == 0 ? TestTensors.Random(seed + 2, new Shape(n), dtype) : null; // [N]
                using var y = Tensor.Cpu(DType.F32, new Shape(m, n));                            // [M, N]
                y.Span<float>().Fill(float.NaN);
                backend.Linear(x, w, b, y);
                AssertMatchesReference(x, w, b, y, $"M={m} K={k} N={n} {dtype} bias={b != null}:");
            }
    }

    [Theory]
    [InlineData(16, DType.F32)]
    [InlineData(11, DType.F32)]
    [InlineData(16, DType.BF16)]
    [InlineData(3, DType.F16)]
    public void Linear_SmallRowsSplitAcrossThreads_MatchesDoubleReference(int m, DType dtype)
    {
        // N·K ≥ 262144 so the small-M path splits N over threads; N = 1409 leaves a ragged last block in the last chunk.
        using var backend = CreateBackend(CpuGemmKind.Managed, threads: 2);
        const int k = 200, n = 1409;
        using var x = TestTensors.Random(m, new Shape(m, k));                  // [M, K]
        using var w = TestTensors.Random(m + 1, new Shape(n, k), dtype);       // [N, K]
        using var b = TestTensors.Random(m + 2, new Shape(n));                 // [N]
        using var y = Tensor.Cpu(DType.F32, new Shape(m, n));                  // [M, N]
        y.Span<float>().Fill(float.NaN);
        backend.Linear(x, w, b, y);
        AssertMatchesReference(x, w, b, y, $"M={m} K={k} N={n} {dtype} threads=2:");
    }

    [Theory]
    [InlineData(DType.F32, CpuGemmKind.Managed)]
    [InlineData(DType.F16, CpuGemmKind.Managed)]
    [InlineData(DType.BF16, CpuGemmKind.Managed)]
    [InlineData(DType.F32, CpuGemmKind.OpenBlas)]
    public void Linear_SmallIntegerInputs_IsExact(DType dtype, CpuGemmKind kind)
    {
        // Integers in [-4, 4] are exact in F16 and BF16, and every partial sum (|s| ≤ 16·K < 2^24) is exact in F32,
        // so any summation order must give the exact result: a lost term or a rounded operand shows up as a mismatch.
        using var backend = CreateBackend(kind, threads: 2);
        foreach (int m in new[] { 1, 4, 5, 13, 16, 64 })
        {
            const int k = 777, n = 301;
            using var x = IntegerTensor(m * 7 + 1, new Shape(m, k), DType.F32); // [M, K]
            using var w = IntegerTensor(m * 7 + 2, new Shape(n, k), dtype);     // [N, K]
            using var y = Tensor.Cpu(DType.F32, new Shape(m, n));               // [M, N]
            backend.Linear(x, w, null, y);
            var (expected, _) = Reference(x, w, null);
            Assert.Equal(expected, y.ToFloatArray());
        }
    }

    [Fact]
    public void Linear_HigherRankInput_TreatsLeadingDimsAsRows()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2, Gemm = CpuGemmKind.Managed });
        using var x = TestTensors.Random(5, new Shape(2, 3, 40));                // [B, T, K]
        using var w = TestTensors.Random(6, new Shape(24, 40), DType.F16);       // [N, K]
        using var b = TestTensors.Random(7, new Shape(24));                      // [N]
        using var y = Tensor.Cpu(DType.F32, new Shape(2, 3, 24));                // [B, T, N]
        backend.Linear(x, w, b, y);
        using var x2 = x.Reshape(new Shape(6, 40));
        using var y2 = y.Reshape(new Shape(6, 24));
        AssertMatchesReference(x2, w, b, y2, "rank-3 x:");
    }

    [Fact]
    public void Linear_ZeroInputFeatures_WritesBias()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 1, Gemm = CpuGemmKind.Managed });
        using var x = Tensor.Cpu(DType.F32, new Shape(3, 0));                    // [M, 0]
        using var w = Tensor.Cpu(DType.BF16, new Shape(4, 0));                   // [N, 0]
        using var b = Tensor.FromArray([1f, -2f, 3.5f, 0.25f], new Shape(4));    // [N]
        using var y = Tensor.Cpu(DType.F32, new Shape(3, 4));                    // [M, N]
        y.Span<float>().Fill(float.NaN);
        backend.Linear(x, w, b, y);
        Assert.Equal([1f, -2f, 3.5f, 0.25f, 1f, -2f, 3.5f, 0.25f, 1f, -2f, 3.5f, 0.25f], y.ToFloatArray());
    }

    [Fact]
    public void Linear_WrongArguments_ThrowArgumentException()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 1, Gemm = CpuGemmKind.Managed });
        using var x = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var w = Tensor.Cpu(DType.F16, new Shape(5, 8));
        using var b = Tensor.Cpu(DType.F32, new Shape(5));
        using var y = Tensor.Cpu(DType.F32, new Shape(2, 5));
        using var wrongK = Tensor.Cpu(DType.F16, new Shape(5, 9));
        using var wrongY = Tensor.Cpu(DType.F32, new Shape(2, 6));
        using var wrongB = Tensor.Cpu(DType.F32, new Shape(6));
        using var halfX = Tensor.Cpu(DType.F16, new Shape(2, 8));
        using var intW = Tensor.Cpu(DType.I32, new Shape(5, 8));
        using var rank3W = Tensor.Cpu(DType.F32, new Shape(5, 8, 1));
        using var vectorX = Tensor.Cpu(DType.F32, new Shape(8));
        using var vectorY = Tensor.Cpu(DType.F32, new Shape(5));
        using var square = Tensor.Cpu(DType.F32, new Shape(2, 8));
        using var squareW = Tensor.Cpu(DType.F32, new Shape(8, 8));

        Assert.Throws<ArgumentException>("x", () => backend.Linear(x, wrongK, null, y));
        Assert.Throws<ArgumentException>("y", () => backend.Linear(x, w, null, wrongY));
        Assert.Throws<ArgumentException>("bias", () => backend.Linear(x, w, wrongB, y));
        Assert.Throws<ArgumentException>("x", () => backend.Linear(halfX, w, null, y));
        Assert.Throws<ArgumentException>("weight", () => backend.Linear(x, intW, null, y));
        Assert.Throws<ArgumentException>("weight", () => backend.Linear(x, rank3W, null, y));
        Assert.Throws<ArgumentException>("x", () => backend.Linear(vectorX, w, null, vectorY));
        Assert.Throws<ArgumentException>("y", () => backend.Linear(square, squareW, null, square));
    }

    private static CpuBackend CreateBackend(CpuGemmKind kind, int threads)
    {
        if (kind == CpuGemmKind.OpenBlas)
            Assert.SkipUnless(OpenBlas.TryLoad(out string? error), $"OpenBLAS is not available: {error}");
        return new CpuBackend(new CpuBackendOptions { Threads = threads, Gemm = kind });
    }

    private static Tensor IntegerTensor(int seed, Shape shape, DType dtype)
    {
        var rng = new Random(seed);
        var values = new float[shape.NumElements];
        for (int i = 0; i < values.Length; i++) values[i] = rng.Next(-4, 5);
        using var f32 = Tensor.FromArray(values, shape);
        if (dtype == DType.F32) return TestTensors.Clone(f32);
        var t = Tensor.Cpu(dtype, shape);
        var dst = t.Span<ushort>();
        for (int i = 0; i < values.Length; i++)
            dst[i] = dtype == DType.F16 ? DTypeConversion.SingleToF16(values[i]) : DTypeConversion.SingleToBF16(values[i]);
        return t;
    }

    /// <summary>y[m, n] = Σ x·w in double over the widened weights, and Σ |x·w| per element for the error bound.</summary>
    private static (float[] Y, double[] AbsSum) Reference(Tensor x, Tensor w, Tensor? b)
    {
        int m = (int)x.Shape[0], k = (int)x.Shape[1], n = (int)w.Shape[0];
        float[] xs = x.ToFloatArray(), ws = w.ToFloatArray();
        float[]? bs = b?.ToFloatArray();
        var y = new float[m * n];
        var absSum = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, a = 0;
                for (int p = 0; p < k; p++)
                {
                    double prod = (double)xs[i * k + p] * ws[j * k + p];
                    s += prod;
                    a += Math.Abs(prod);
                }
                if (bs != null) s += bs[j];
                y[i * n + j] = (float)s;
                absSum[i * n + j] = a;
            }
        return (y, absSum);
    }

    private static void AssertMatchesReference(Tensor x, Tensor w, Tensor? b, Tensor y, string what)
    {
        // Tolerance: F32 summation of K products in any order (blocked, FMA or not) is within γ_K·Σ|x_k·w_k| of the
        // exact sum, γ_K = K·u/(1 − K·u) with u = 2^-24 (Higham, Accuracy and Stability, §3.1); the bias add and the
        // final rounding to F32 contribute at most 2u·|y| more. This bound is rigorous, so it needs no fudge factor;
        // it is also tight enough that a dropped term (≈ |x·w|, on average Σ|x·w|/K) fails it for K ≥ 2.
        int k = (int)x.Shape[1];
        const double u = 1.0 / (1 << 24);
        double gamma = k * u / (1 - k * u);
        var (expected, absSum) = Reference(x, w, b);
        float[] actual = y.ToFloatArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = gamma * absSum[i] + 2 * u * Math.Abs(expected[i]) + 1e-30;
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (!(diff <= tolerance))
                Assert.Fail($"{what} element {i}: expected {expected[i]}, got {actual[i]} (|diff| {diff:g4} > {tolerance:g4})");
        }
    }
}
