// Tests of the CPU ops over a BF16 KV cache: the store rounds each row to nearest even, and decode / chunked-prefill
// attention over BF16 caches give exactly the bits of the F32 ops over the same values widened (BF16 → F32 is exact and
// the kernels do the same arithmetic in the same order), on the AVX-512 tile path (D % 16 = 0) and the portable one.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public sealed class Bf16KvCacheTests
{
    [Theory]
    [InlineData(16, 2, 2)] // the demo's shape, tiles
    [InlineData(64, 2, 7)] // the 0.5B model's GQA group, tiles
    [InlineData(128, 4, 3)]
    [InlineData(8, 2, 2)] // portable kernels: BF16 rows widened into scratch first
    [InlineData(24, 1, 3)]
    public void AttentionDecode_Bf16Caches_GiveTheBitsOfF32OverTheWidenedValues(int d, int hkv, int group)
    {
        int h = hkv * group;
        int[] lengths = [1, 17, 0, 450, 33];
        int b = lengths.Length;
        var indptr = new int[b + 1]; // [B + 1]
        for (int i = 0; i < b; i++) indptr[i + 1] = indptr[i] + lengths[i];
        int nnz = indptr[^1], s = nnz + 11;
        var indices = Enumerable.Range(0, s).ToArray();
        new Random(3).Shuffle(indices);
        indices = indices[..nnz];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(1, new Shape(b, h, d));
        using var kBf16 = TestTensors.Random(2, new Shape(s, hkv, d), DType.BF16, -2f, 2f);
        using var vBf16 = TestTensors.Random(3, new Shape(s, hkv, d), DType.BF16);
        using var kF32 = Widen(kBf16);
        using var vF32 = Widen(vBf16);
        using var indptrT = Tensor.FromArray(indptr, new Shape(b + 1));
        using var indicesT = Tensor.FromArray(indices, new Shape(nnz));
        using var expected = Tensor.Cpu(DType.F32, new Shape(b, h, d));
        using var expectedMean = Tensor.Cpu(DType.F32, new Shape(nnz));
        using var actual = TestTensors.Random(4, new Shape(b, h, d)); // garbage that must be overwritten
        using var actualMean = TestTensors.Random(5, new Shape(nnz));
        float scale = 1f / MathF.Sqrt(d);

        backend.AttentionDecode(q, kF32, vF32, indptrT, indicesT, scale, expected, expectedMean);
        backend.AttentionDecode(q, kBf16, vBf16, indptrT, indicesT, scale, actual, actualMean);

        Assert.Equal(expected.ToFloatArray(), actual.ToFloatArray());
        Assert.Equal(expectedMean.ToFloatArray(), actualMean.ToFloatArray());
    }

    [Theory]
    [InlineData(16, 2, 2)]
    [InlineData(24, 1, 3)]
    public void AttentionPrefillCached_Bf16Caches_GiveTheBitsOfF32OverTheWidenedValues(int d, int hkv, int group)
    {
        // Two sequences: 40 cached positions then a 9-token chunk, and a 5-token chunk over 5 positions.
        int h = hkv * group;
        int[] cu = [0, 9, 14], indptr = [0, 49, 54];
        int s = 64;
        var indices = Enumerable.Range(0, s).ToArray();
        new Random(7).Shuffle(indices);
        indices = indices[..indptr[^1]];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(11, new Shape(cu[^1], h, d));
        using var kBf16 = TestTensors.Random(12, new Shape(s, hkv, d), DType.BF16);
        using var vBf16 = TestTensors.Random(13, new Shape(s, hkv, d), DType.BF16);
        using var kF32 = Widen(kBf16);
        using var vF32 = Widen(vBf16);
        using var cuT = Tensor.FromArray(cu, new Shape(cu.Length));
        using var indptrT = Tensor.FromArray(indptr, new Shape(indptr.Length));
        using var indicesT = Tensor.FromArray(indices, new Shape(indices.Length));
        using var expected = Tensor.Cpu(DType.F32, q.Shape);
        using var actual = Tensor.Cpu(DType.F32, q.Shape);

        backend.AttentionPrefillCached(q, kF32, vF32, cuT, indptrT, indicesT, 0.25f, expected);
        backend.AttentionPrefillCached(q, kBf16, vBf16, cuT, indptrT, indicesT, 0.25f, actual);

        Assert.Equal(expected.ToFloatArray(), actual.ToFloatArray());
    }

    [Fact]
    public void RopeAndStoreKv_Bf16Caches_StoreTheF32RowsRoundedToNearestEven()
    {
        const int t = 5, h = 4, hkv = 2, d = 16, s = 9;
        int[] slots = [7, -1, 0, 3, 8]; // −1: not stored
        using var backend = new CpuBackend();
        using var pos = Tensor.FromArray([0, 3, 100, 2_000, 31_999], new Shape(t));
        using var map = Tensor.FromArray(slots, new Shape(t));
        using var kF32 = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        using var vF32 = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        using var kBf16 = Tensor.Cpu(DType.BF16, new Shape(s, hkv, d));
        using var vBf16 = Tensor.Cpu(DType.BF16, new Shape(s, hkv, d));
        using (var q = TestTensors.Random(21, new Shape(t, h, d)))
        using (var k = TestTensors.Random(22, new Shape(t, hkv, d)))
        using (var v = TestTensors.Random(23, new Shape(t, hkv, d)))
        using (var q2 = TestTensors.Clone(q))
        using (var k2 = TestTensors.Clone(k))
        {
            backend.RopeAndStoreKv(q, k, v, pos, map, kF32, vF32, 1_000_000f);
            backend.RopeAndStoreKv(q2, k2, v, pos, map, kBf16, vBf16, 1_000_000f);
            Assert.Equal(q.ToFloatArray(), q2.ToFloatArray()); // the rotation itself does not depend on the cache dtype
        }

        foreach (var (f32, bf16) in new[] { (kF32, kBf16), (vF32, vBf16) })
        {
            var rounded = new ushort[f32.NumElements];
            DTypeConversion.ConvertF32ToBF16(f32.Span<float>(), rounded);
            Assert.Equal(rounded, bf16.Span<ushort>().ToArray());
        }
        // Slots nobody wrote stay zero.
        Assert.All(kBf16.Span<ushort>().Slice(1 * hkv * d, hkv * d).ToArray(), x => Assert.Equal(0, x));
    }

    [Fact]
    public void CacheOps_MixedOrUnsupportedCacheDTypes_AreRejected()
    {
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(1, new Shape(1, 2, 16));
        using var kBf16 = Tensor.Cpu(DType.BF16, new Shape(4, 1, 16));
        using var vF32 = Tensor.Cpu(DType.F32, new Shape(4, 1, 16));
        using var kF16 = Tensor.Cpu(DType.F16, new Shape(4, 1, 16));
        using var vF16 = Tensor.Cpu(DType.F16, new Shape(4, 1, 16));
        using var indptr = Tensor.FromArray([0, 2], new Shape(2));
        using var indices = Tensor.FromArray([0, 1], new Shape(2));
        using var output = Tensor.Cpu(DType.F32, new Shape(1, 2, 16));

        var mixed = Assert.Throws<ArgumentException>(() => backend.AttentionDecode(q, kBf16, vF32, indptr, indices, 0.25f, output, null));
        Assert.Equal("vCache", mixed.ParamName);
        var half = Assert.Throws<ArgumentException>(() => backend.AttentionDecode(q, kF16, vF16, indptr, indices, 0.25f, output, null));
        Assert.Contains("F32 or BF16", half.Message);

        using var k = TestTensors.Random(2, new Shape(1, 1, 16));
        using var v = TestTensors.Random(3, new Shape(1, 1, 16));
        using var pos = Tensor.FromArray([0], new Shape(1));
        using var map = Tensor.FromArray([0], new Shape(1));
        Assert.Throws<ArgumentException>(() => backend.RopeAndStoreKv(q, k, v, pos, map, kBf16, vF32, 10_000f));
        Assert.Throws<ArgumentException>(() => backend.RopeAndStoreKv(q, k, v, pos, map, kF16, vF16, 10_000f));
    }

    // An F32 copy of a BF16 tensor (exact).
    private static Tensor Widen(Tensor bf16)
    {
        var f32 = Tensor.Cpu(DType.F32, bf16.Shape);
        DTypeConversion.ConvertBF16ToF32(bf16.Span<ushort>(), f32.Span<float>());
        return f32;
    }
}
