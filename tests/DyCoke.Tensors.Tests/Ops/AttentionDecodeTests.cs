// Tests of CpuBackend.AttentionDecode: shuffled, non-contiguous slot lists against a naive double reference (outputs
// and DyCoke's mean-over-heads probabilities), empty sequences, agreement with the last row of a causal prefill,
// determinism across thread counts, and argument validation.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public sealed class AttentionDecodeTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 1, 1)]
    [InlineData(8, 2, 2)]
    [InlineData(13, 1, 5)]
    [InlineData(64, 2, 7)]
    [InlineData(72, 3, 1)]
    [InlineData(128, 4, 7)]
    [InlineData(16, 2, 3)] // every GQA remainder of the head batches: 3, 4, 6 (4 + 2), 5 (4 + 1)
    [InlineData(24, 1, 4)]
    [InlineData(40, 2, 6)]
    [InlineData(16, 1, 5)]
    public void AttentionDecode_ShuffledSlotLists_MatchesReference(int d, int hkv, int group)
    {
        int h = hkv * group;
        const int s = 500;
        int[] lengths = [3, 0, 1, 130, 17];
        int b = lengths.Length;
        int[] indptr = Offsets(lengths);
        // A random subset of the cache, in random order, split between the sequences.
        int[] indices = Shuffled(7, s)[..indptr[^1]];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(1, new Shape(b, h, d));
        using var kCache = TestTensors.Random(2, new Shape(s, hkv, d), -2f, 2f);
        using var vCache = TestTensors.Random(3, new Shape(s, hkv, d));
        using var indptrT = Tensor.FromArray(indptr, new Shape(b + 1));
        using var indicesT = Tensor.FromArray(indices, new Shape(indices.Length));
        using var result = TestTensors.Random(4, new Shape(b, h, d)); // garbage that must be overwritten
        using var meanProbs = Tensor.Cpu(DType.F32, new Shape(indices.Length));
        float scale = 1f / MathF.Sqrt(d);

        backend.AttentionDecode(q, kCache, vCache, indptrT, indicesT, scale, result, meanProbs);

        var (expected, expectedMean) = AttentionReference.Decode(
            q.ToFloatArray(), kCache.ToFloatArray(), vCache.ToFloatArray(), indptr, indices, h, hkv, d, scale);
        float[] actual = result.ToFloatArray();
        double diff = TestTensors.AssertClose(expected, actual, 1e-6, what: "output");
        Assert.All(actual.AsSpan(1 * h * d, h * d).ToArray(), x => Assert.Equal(0f, x)); // sequence 1 has no slots
        float[] mean = meanProbs.ToFloatArray();
        double meanDiff = TestTensors.AssertClose(expectedMean, mean, 1e-6, what: "meanProbs");
        for (int i = 0; i < b; i++)
        {
            if (lengths[i] == 0) continue;
            double sum = mean.AsSpan(indptr[i], lengths[i]).ToArray().Sum(x => (double)x);
            Assert.True(Math.Abs(sum - 1) < 1e-5, $"sequence {i}: meanProbs sum to {sum}");
        }
        output.WriteLine($"D={d} H={h} Hkv={hkv}: max |diff| output {diff:g3}, meanProbs {meanDiff:g3}");
    }

    [Fact]
    public void AttentionDecode_WithoutMeanProbs_GivesTheSameOutput()
    {
        const int h = 4, hkv = 2, d = 16, s = 40;
        int[] indptr = [0, 25, 40];
        int[] indices = Shuffled(8, s);
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(11, new Shape(2, h, d));
        using var kCache = TestTensors.Random(12, new Shape(s, hkv, d));
        using var vCache = TestTensors.Random(13, new Shape(s, hkv, d));
        using var indptrT = Tensor.FromArray(indptr, new Shape(3));
        using var indicesT = Tensor.FromArray(indices, new Shape(s));
        using var with = Tensor.Cpu(DType.F32, new Shape(2, h, d));
        using var without = Tensor.Cpu(DType.F32, new Shape(2, h, d));
        using var meanProbs = Tensor.Cpu(DType.F32, new Shape(s));

        backend.AttentionDecode(q, kCache, vCache, indptrT, indicesT, 0.25f, with, meanProbs);
        backend.AttentionDecode(q, kCache, vCache, indptrT, indicesT, 0.25f, without, null);

        Assert.Equal(with.ToFloatArray(), without.ToFloatArray());
    }

    [Theory]
    [InlineData(37, 14, 2, 64)]
    [InlineData(100, 4, 4, 72)]
    public void AttentionDecode_FullCache_EqualsLastRowOfCausalPrefill(int t, int h, int hkv, int d)
    {
        // The same tokens go through RoPE into shuffled cache slots; decoding the last token over all of them must
        // reproduce what the causal prefill computed for that token.
        int s = t + 23;
        int[] slots = Shuffled(21, s)[..t];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(22, new Shape(t, h, d));
        using var k = TestTensors.Random(23, new Shape(t, hkv, d));
        using var v = TestTensors.Random(24, new Shape(t, hkv, d));
        using var kCache = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        using var positions = Tensor.FromArray(Enumerable.Range(0, t).ToArray(), new Shape(t));
        using var slotMapping = Tensor.FromArray(slots, new Shape(t));
        backend.RopeAndStoreKv(q, k, v, positions, slotMapping, kCache, vCache, 1_000_000f);
        using var cuSeqLens = Tensor.FromArray([0, t], new Shape(2));
        using var prefill = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        float scale = 1f / MathF.Sqrt(d);
        backend.AttentionPrefill(q, k, v, cuSeqLens, causal: true, scale, prefill);

        using var lastQ = q.Rows(t - 1, 1);
        using var indptr = Tensor.FromArray([0, t], new Shape(2));
        using var decode = Tensor.Cpu(DType.F32, new Shape(1, h, d));
        backend.AttentionDecode(lastQ, kCache, vCache, indptr, slotMapping, scale, decode, null);

        using var lastRow = prefill.Rows(t - 1, 1);
        double diff = TestTensors.AssertClose(lastRow.ToFloatArray(), decode.ToFloatArray(), 1e-6);
        output.WriteLine($"T={t}: decode vs prefill last row max |diff| {diff:g3}");
    }

    [Fact]
    public void AttentionDecode_OneOrTwoThreads_GiveIdenticalBits()
    {
        const int h = 14, hkv = 2, d = 64, s = 900;
        int[] indptr = [0, 400, 401, 900];
        int[] indices = Shuffled(31, s);
        using var q = TestTensors.Random(32, new Shape(3, h, d));
        using var kCache = TestTensors.Random(33, new Shape(s, hkv, d));
        using var vCache = TestTensors.Random(34, new Shape(s, hkv, d));
        using var indptrT = Tensor.FromArray(indptr, new Shape(4));
        using var indicesT = Tensor.FromArray(indices, new Shape(s));
        using var out1 = Tensor.Cpu(DType.F32, new Shape(3, h, d));
        using var out2 = Tensor.Cpu(DType.F32, new Shape(3, h, d));
        using var mean1 = Tensor.Cpu(DType.F32, new Shape(s));
        using var mean2 = Tensor.Cpu(DType.F32, new Shape(s));

        using (var single = new CpuBackend(new CpuBackendOptions { Threads = 1 }))
            single.AttentionDecode(q, kCache, vCache, indptrT, indicesT, 0.125f, out1, mean1);
        using (var dual = new CpuBackend(new CpuBackendOptions { Threads = 2 }))
            dual.AttentionDecode(q, kCache, vCache, indptrT, indicesT, 0.125f, out2, mean2);

        Assert.Equal(out1.ToFloatArray(), out2.ToFloatArray());
        Assert.Equal(mean1.ToFloatArray(), mean2.ToFloatArray());
    }

    [Theory]
    [InlineData("slot negative")]
    [InlineData("slot past cache")]
    [InlineData("indptr length")]
    [InlineData("indptr start")]
    [InlineData("indptr decreasing")]
    [InlineData("indptr end")]
    [InlineData("meanProbs length")]
    [InlineData("heads not multiple")]
    [InlineData("vCache shape")]
    [InlineData("indices dtype")]
    public void AttentionDecode_InvalidArguments_Throw(string problem)
    {
        using var backend = new CpuBackend();
        int h = problem == "heads not multiple" ? 3 : 4;
        using var q = Tensor.Cpu(DType.F32, new Shape(2, h, 8));
        using var kCache = Tensor.Cpu(DType.F32, new Shape(10, 2, 8));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(problem == "vCache shape" ? 9 : 10, 2, 8));
        int[] indptr = problem switch
        {
            "indptr length" => [0, 5],
            "indptr start" => [1, 3, 5],
            "indptr decreasing" => [0, 6, 5],
            "indptr end" => [0, 3, 4],
            _ => [0, 3, 5],
        };
        int[] indices = [0, 9, problem == "slot negative" ? -1 : 2, 3, problem == "slot past cache" ? 10 : 4];
        using var indptrT = Tensor.FromArray(indptr, new Shape(indptr.Length));
        using var indicesT = problem == "indices dtype" ? Tensor.Cpu(DType.F32, new Shape(5)) : Tensor.FromArray(indices, new Shape(5));
        using var result = Tensor.Cpu(DType.F32, new Shape(2, h, 8));
        using var meanProbs = Tensor.Cpu(DType.F32, new Shape(problem == "meanProbs length" ? 4 : 5));

        var e = Assert.ThrowsAny<ArgumentException>(() => backend.AttentionDecode(q, kCache, vCache, indptrT, indicesT, 1f, result, meanProbs));
        output.WriteLine($"{problem}: {e.Message}");
    }

    private static int[] Offsets(int[] lengths)
    {
        var offsets = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) offsets[i + 1] = offsets[i] + lengths[i];
        return offsets;
    }

    private static int[] Shuffled(int seed, int n)
    {
        int[] a = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(a);
        return a;
    }
}
