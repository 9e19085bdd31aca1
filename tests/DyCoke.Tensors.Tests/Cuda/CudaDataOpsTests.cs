// Parity of the CUDA data-movement ops (Convert, GatherRows, Embedding, RopeAndStoreKv's cache writes) with the CPU
// reference backend. Conversions, gathers and lookups are exact, so most comparisons are bit for bit. GPU hosts only.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

[Trait("Category", "Gpu")]
[Collection(CudaOpsCollection.Name)]
public sealed unsafe class CudaDataOpsTests(CudaOpsFixture fixture)
{
    public static TheoryData<DType, DType> ConvertPairs => new()
    {
        { DType.F32, DType.F16 }, { DType.F32, DType.BF16 }, { DType.F16, DType.F32 }, { DType.BF16, DType.F32 },
        { DType.F16, DType.BF16 }, { DType.BF16, DType.F16 }, { DType.I32, DType.F32 }, { DType.I64, DType.F32 },
        { DType.F32, DType.I32 }, { DType.F32, DType.I64 },
    };

    [Theory]
    [MemberData(nameof(ConvertPairs))]
    public void Convert_EveryPairWithSpecialValues_BitExactWithCpu(DType from, DType to)
    {
        var gpu = fixture.Gpu();
        var shape = new Shape(4, 64);
        using var src = ConvertSource(from, shape); // [4, 64]
        using var expected = Tensor.Cpu(to, shape); // [4, 64]
        fixture.Cpu.Convert(src, expected);

        using var dsrc = fixture.Upload(src);
        using var ddst = gpu.Allocate(to, shape);
        gpu.Convert(dsrc, ddst);
        using var actual = fixture.Download(ddst);
        if (to == DType.I32) Assert.Equal(expected.Span<int>().ToArray(), actual.Span<int>().ToArray());
        else if (to == DType.I64) Assert.Equal(expected.Span<long>().ToArray(), actual.Span<long>().ToArray());
        else TestTensors.AssertClose(expected.ToFloatArray(), actual.ToFloatArray(), 0, 0, $"{from} → {to}"); // NaN matches NaN
    }

    [Theory]
    [InlineData(DType.U8, 7)] // 7-byte rows: byte copies
    [InlineData(DType.BF16, 3)] // 6-byte rows: 2-byte words
    [InlineData(DType.F32, 5)] // 20-byte rows: 4-byte words
    [InlineData(DType.I32, 6)] // 24-byte rows: 8-byte words
    [InlineData(DType.BF16, 64)] // 128-byte rows: 16-byte words
    public void GatherRows_RowSizesAndViews_BitExactWithCpu(DType dtype, int cols)
    {
        var gpu = fixture.Gpu();
        using var all = Tensor.Cpu(dtype, new Shape(11, cols)); // [11, C]
        new Random(20).NextBytes(Bytes(all));
        using var indices = Tensor.FromArray([9, 0, 3, 3, 7, 1, 9, 2, 0, 5, 8, 4], new Shape(12)); // [n], repeats included
        using var expected = Tensor.Cpu(dtype, new Shape(12, cols)); // [n, C]
        using var expectedFromView = Tensor.Cpu(dtype, new Shape(12, cols)); // [n, C]
        using (var src = all.Rows(0, 10))
            fixture.Cpu.GatherRows(src, indices, expected);
        using (var src = all.Rows(1, 10)) // starts one row in: the word width must follow the address's alignment
            fixture.Cpu.GatherRows(src, indices, expectedFromView);

        using var dall = fixture.Upload(all);
        using var dindices = fixture.Upload(indices);
        using var dy = gpu.Allocate(dtype, new Shape(12, cols));
        using var dyFromView = gpu.Allocate(dtype, new Shape(12, cols));
        using (var dsrc = dall.Rows(0, 10))
            gpu.GatherRows(dsrc, dindices, dy);
        using (var dsrc = dall.Rows(1, 10))
            gpu.GatherRows(dsrc, dindices, dyFromView);
        using var y = fixture.Download(dy);
        using var yFromView = fixture.Download(dyFromView);
        Assert.Equal(Bytes(expected).ToArray(), Bytes(y).ToArray());
        Assert.Equal(Bytes(expectedFromView).ToArray(), Bytes(yFromView).ToArray());
    }

    [Theory]
    [InlineData(DType.F32, DType.F32)]
    [InlineData(DType.BF16, DType.BF16)]
    [InlineData(DType.F16, DType.F16)]
    [InlineData(DType.BF16, DType.F32)]
    [InlineData(DType.F32, DType.BF16)]
    [InlineData(DType.F16, DType.BF16)]
    public void Embedding_TableAndActivationDtypes_ExactRowsRoundedOnce(DType tableType, DType yType)
    {
        var gpu = fixture.Gpu();
        using var table = TestTensors.Random(21, new Shape(50, 96), tableType, -3f, 3f); // [V, C]
        using var ids = Tensor.FromArray([0, 49, 7, 7, 23, 1, 48, 0, 30], new Shape(9)); // [T]
        using var cpuY = Tensor.Cpu(DType.F32, new Shape(9, 96)); // [T, C]
        fixture.Cpu.Embedding(ids, table, cpuY);
        // The CPU widens exactly; the GPU converts straight to y's dtype with one rounding, the same value.
        using var expected = CudaOpsFixture.Narrow(cpuY.ToFloatArray(), yType, cpuY.Shape); // [T, C]

        using var dtable = fixture.Upload(table);
        using var dids = fixture.Upload(ids);
        using var dy = gpu.Allocate(yType, new Shape(9, 96));
        gpu.Embedding(dids, dtable, dy);
        using var y = fixture.Download(dy);
        TestTensors.AssertClose(expected.ToFloatArray(), y.ToFloatArray(), 0, 0, $"{tableType} table → {yType}");
    }

    [Theory]
    // Angles are position · inv_freq in fp32: near position p they carry ~p·2⁻²⁴ rad of rounding, more if the two
    // backends' inv_freq differ in the last bit, so long positions get a bound that still catches a wrong formula.
    [InlineData(DType.F32, 64, 64, 2e-5)] // Qwen2-0.5B head dim, short positions
    [InlineData(DType.F32, 128, 32768, 1e-2)] // 7B head dim, long context
    [InlineData(DType.F16, 64, 64, 2e-5)]
    [InlineData(DType.BF16, 128, 4096, 4e-3)]
    public void RopeAndStoreKv_GqaHeadsAndSkippedSlot_MatchesCpu(DType dtype, int headDim, int maxPosition, double atol)
    {
        var gpu = fixture.Gpu();
        const int Tokens = 6, Heads = 14, KvHeads = 2, Slots = 16;
        const float Theta = 1_000_000f;
        var qShape = new Shape(Tokens, Heads, headDim); // [T, H, D]
        var kvShape = new Shape(Tokens, KvHeads, headDim); // [T, Hkv, D]
        var cacheShape = new Shape(Slots, KvHeads, headDim); // [S, Hkv, D]
        using var q = TestTensors.Random(22, qShape, dtype);
        using var k = TestTensors.Random(23, kvShape, dtype);
        using var v = TestTensors.Random(24, kvShape, dtype);
        using var kCache = TestTensors.Random(25, cacheShape, dtype); // untouched slots must keep these values
        using var vCache = TestTensors.Random(26, cacheShape, dtype);
        var rng = new Random(27);
        int[] positionValues = [0, maxPosition - 1, .. Enumerable.Range(0, Tokens - 2).Select(_ => rng.Next(maxPosition))];
        int[] slotValues = [.. Enumerable.Range(0, Slots).OrderBy(_ => rng.Next()).Take(Tokens)];
        slotValues[2] = -1; // token 2 is not stored
        using var positions = Tensor.FromArray(positionValues, new Shape(Tokens)); // [T]
        using var slotMapping = Tensor.FromArray(slotValues, new Shape(Tokens)); // [T]

        using var q32 = CudaOpsFixture.Widen(q);
        using var k32 = CudaOpsFixture.Widen(k);
        using var v32 = CudaOpsFixture.Widen(v);
        using var kCache32 = CudaOpsFixture.Widen(kCache);
        using var vCache32 = CudaOpsFixture.Widen(vCache);
        fixture.Cpu.RopeAndStoreKv(q32, k32, v32, positions, slotMapping, kCache32, vCache32, Theta);

        using var dq = fixture.Upload(q);
        using var dk = fixture.Upload(k);
        using var dv = fixture.Upload(v);
        using var dkCache = fixture.Upload(kCache);
        using var dvCache = fixture.Upload(vCache);
        using var dpositions = fixture.Upload(positions);
        using var dslots = fixture.Upload(slotMapping);
        gpu.RopeAndStoreKv(dq, dk, dv, dpositions, dslots, dkCache, dvCache, Theta);
        using var qOut = fixture.Download(dq);
        using var kOut = fixture.Download(dk);
        using var kCacheOut = fixture.Download(dkCache);
        using var vCacheOut = fixture.Download(dvCache);
        double rtol = CudaOpsFixture.Rtol(dtype);
        TestTensors.AssertClose(q32.ToFloatArray(), qOut.ToFloatArray(), atol, rtol, "q");
        TestTensors.AssertClose(k32.ToFloatArray(), kOut.ToFloatArray(), atol, rtol, "k");
        TestTensors.AssertClose(kCache32.ToFloatArray(), kCacheOut.ToFloatArray(), atol, rtol, "kCache");
        TestTensors.AssertClose(vCache32.ToFloatArray(), vCacheOut.ToFloatArray(), 0, 0, "vCache");
    }

    [Fact]
    public void HostChecks_BadArguments_Throw()
    {
        var gpu = fixture.Gpu();
        using var f32 = gpu.Allocate(DType.F32, new Shape(4, 8)); // [4, 8]
        using var u8 = gpu.Allocate(DType.U8, new Shape(4, 8)); // [4, 8]
        using var ids = gpu.Allocate(DType.I32, new Shape(4)); // [4]
        using var idsF = gpu.Allocate(DType.F32, new Shape(4)); // [4]
        using var q = gpu.Allocate(DType.F32, new Shape(4, 2, 7)); // [T, H, D] with an odd D
        Assert.Throws<ArgumentException>(() => gpu.Convert(f32, u8));
        Assert.Throws<ArgumentException>(() => gpu.Convert(u8, f32));
        Assert.Throws<ArgumentException>(() => gpu.GatherRows(f32, idsF, f32));
        Assert.Throws<ArgumentException>(() => gpu.Embedding(ids, u8, f32));
        Assert.Throws<ArgumentException>(() => gpu.RopeAndStoreKv(q, q, q, ids, ids, q, q, 10000f));
    }

    private static Span<byte> Bytes(Tensor host) => new((void*)host.Pointer, checked((int)host.ByteCount));

    // Random values plus the cases conversions get wrong: signed zeros, NaN, infinities, RNE ties, F16 overflow and
    // subnormals, and integers beyond F32's 24-bit significand or the I32 range.
    private static Tensor ConvertSource(DType dtype, Shape shape)
    {
        var rng = new Random(28);
        int n = (int)shape.NumElements;
        switch (dtype)
        {
            case DType.I32:
                {
                    int[] v = [int.MaxValue, int.MinValue, 16_777_217, -16_777_217, 0, .. Enumerable.Range(0, n - 5).Select(_ => rng.Next(int.MinValue, int.MaxValue))];
                    return Tensor.FromArray(v, shape);
                }
            case DType.I64:
                {
                    long[] v = [long.MaxValue, long.MinValue, (1L << 53) + 1, -(1L << 40) - 3, 0, .. Enumerable.Range(0, n - 5).Select(_ => rng.NextInt64(long.MinValue, long.MaxValue))];
                    return Tensor.FromSpan<long>(v, DType.I64, shape);
                }
            default:
                {
                    float[] special = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 65504f, 65520f, 1e-7f, -3e-8f,
                        3e38f, 1.00390625f, 1.01171875f, 2.5f, -2.5f, -0.7f, 3e9f, -3e9f, 1e20f, 2147483520f, 2147483648f];
                    var v = new float[n];
                    special.CopyTo(v, 0);
                    for (int i = special.Length; i < n; i++)
                        v[i] = (rng.Next(2) == 0 ? -1f : 1f) * (1f + (float)rng.NextDouble()) * MathF.Pow(2f, rng.Next(-30, 31));
                    return CudaOpsFixture.Narrow(v, dtype, shape);
                }
        }
    }
}
