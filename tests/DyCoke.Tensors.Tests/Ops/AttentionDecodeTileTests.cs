// Tests of CpuBackend.AttentionDecode aimed at its 16-slot tile kernels and their fallbacks: every tile edge (short,
// full and one-past tiles), head dims that are and are not multiples of 16, GQA groups 1 to 7, duplicated slots,
// empty sequences between non-empty ones, and logits so peaked that most probabilities underflow.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public sealed class AttentionDecodeTileTests(ITestOutputHelper output)
{
    // Sequence lengths around the tile size (1, 15, 16, 17, 31, 33) and a long one, with empty sequences in between.
    private static readonly int[] s_edgeLengths = [1, 15, 0, 16, 17, 0, 0, 31, 33, 450];

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int d in new[] { 8, 16, 24, 32, 40, 64, 128 })
        {
            foreach (int group in new[] { 1, 2, 3, 4, 7 })
                data.Add(d, group == 7 ? 1 : 2, group);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AttentionDecode_TileEdgeLengths_MatchReference(int d, int hkv, int group)
    {
        var (diff, meanDiff) = CheckAgainstReference(seed: d * 10 + group, s_edgeLengths, d, hkv, group, 1f / MathF.Sqrt(d), duplicates: false);
        output.WriteLine($"D={d} Hkv={hkv} G={group}: max |diff| output {diff:g3}, meanProbs {meanDiff:g3}");
    }

    [Theory]
    [InlineData(16, 2, 2)]
    [InlineData(64, 2, 7)]
    [InlineData(24, 1, 3)]
    public void AttentionDecode_DuplicatedSlots_CountEachListing(int d, int hkv, int group)
    {
        var (diff, meanDiff) = CheckAgainstReference(seed: 5, [20, 0, 47], d, hkv, group, 1f / MathF.Sqrt(d), duplicates: true);
        output.WriteLine($"D={d}: max |diff| output {diff:g3}, meanProbs {meanDiff:g3}");
    }

    [Fact]
    public void AttentionDecode_SlotListedTwice_HalvesItsMeanProbs()
    {
        // [a, a] must give the same output as [a] and split a's probability mass evenly between the two listings.
        const int h = 4, hkv = 2, d = 16, s = 8;
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(41, new Shape(2, h, d));
        using var kCache = TestTensors.Random(42, new Shape(s, hkv, d));
        using var vCache = TestTensors.Random(43, new Shape(s, hkv, d));
        using var indptr = Tensor.FromArray([0, 1, 3], new Shape(3));
        using var indices = Tensor.FromArray([5, 5, 5], new Shape(3));
        q.Span<float>().Slice(h * d, h * d).CopyTo(q.Span<float>()[..(h * d)]); // both sequences ask the same query
        using var result = Tensor.Cpu(DType.F32, new Shape(2, h, d));
        using var meanProbs = Tensor.Cpu(DType.F32, new Shape(3));

        backend.AttentionDecode(q, kCache, vCache, indptr, indices, 0.25f, result, meanProbs);

        float[] o = result.ToFloatArray(), mean = meanProbs.ToFloatArray();
        TestTensors.AssertClose(o.AsSpan(0, h * d), o.AsSpan(h * d, h * d), 1e-6, what: "single vs doubled listing");
        Assert.Equal(1f, mean[0], 6);
        Assert.Equal(0.5f, mean[1], 6);
        Assert.Equal(0.5f, mean[2], 6);
    }

    [Theory]
    [InlineData(16, 2, 2)]
    [InlineData(24, 2, 2)]
    [InlineData(64, 2, 7)]
    [InlineData(128, 4, 7)]
    public void AttentionDecode_PeakedLogits_MeanProbsStillSumToOne(int d, int hkv, int group)
    {
        // Scale 40 on dot products of a few units puts most probabilities far below fp32's normal range (and many below the
        // P·V cut of 2^-100); the output must still match the reference and each sequence's meanProbs sum to 1. The fp32
        // rounding of a dot product (~1e-6 of ~10) times 40 moves probabilities by ~1e-5 relative, hence the tolerance.
        var (diff, meanDiff) = CheckAgainstReference(seed: 9, [1, 17, 0, 200, 450], d, hkv, group, 40f, duplicates: false, tolerance: 1e-4);
        output.WriteLine($"D={d}: max |diff| output {diff:g3}, meanProbs {meanDiff:g3}");
    }

    [Theory]
    [InlineData(16, false)]
    [InlineData(16, true)]
    [InlineData(64, false)]
    [InlineData(64, true)]
    public unsafe void Scores_TwoHeads_RegisterPathMatchesScratchPathBitForBit(int d, bool bf16)
    {
        // Groups of two heads keep the transformed K tile in registers instead of scratch; the two paths must sum
        // the same products in the same order, over full tiles, a short last tile and slots spread across the cache.
        Assert.SkipUnless(DecodeTiles.CanRun(d), "the AVX-512 tile kernels do not run on this CPU");
        const int s = 600, n = 450, group = 2;
        var rng = new Random(d);
        int[] slots = [.. Enumerable.Range(0, s).OrderBy(_ => rng.Next()).Take(n)]; // [n]
        using var q = TestTensors.Random(1, new Shape(group, d), -1f, 1f); // [G, D]
        using var k = TestTensors.Random(2, new Shape(s, 1, d), bf16 ? DType.BF16 : DType.F32, -2f, 2f); // [S, 1, D]
        int stride = (n + 15) / 16 * 16;
        var scratch = new float[DecodeTiles.ScratchFloats(group, d) + 16];
        float[] viaRegisters = new float[group * stride], viaScratch = new float[group * stride]; // [G, stride]
        float[] maxRegisters = new float[group], maxScratch = new float[group]; // [G]
        fixed (int* slotsP = slots)
        fixed (float* sc = scratch, r = viaRegisters, x = viaScratch, mr = maxRegisters, mx = maxScratch)
        {
            float* aligned = (float*)(((nint)sc + 63) & ~(nint)63);
            float* qp = (float*)q.Pointer;
            byte* kp = (byte*)k.Pointer;
            nint rowStride = d * k.DType.SizeOf();
            if (bf16)
            {
                DecodeTiles.Scores<Bf16KvRows>(qp, group, d, kp, rowStride, slotsP, n, r, stride, aligned, mr);
                DecodeTiles.Scores<Bf16KvRows>(qp, group, d, kp, rowStride, slotsP, n, x, stride, aligned, mx, registerPath: false);
            }
            else
            {
                DecodeTiles.Scores<F32KvRows>(qp, group, d, kp, rowStride, slotsP, n, r, stride, aligned, mr);
                DecodeTiles.Scores<F32KvRows>(qp, group, d, kp, rowStride, slotsP, n, x, stride, aligned, mx, registerPath: false);
            }
        }
        for (int h = 0; h < group; h++)
        {
            for (int j = 0; j < stride; j++)
                Assert.Equal(BitConverter.SingleToInt32Bits(viaScratch[h * stride + j]), BitConverter.SingleToInt32Bits(viaRegisters[h * stride + j]));
            Assert.Equal(maxScratch[h], maxRegisters[h]);
            Assert.True(float.IsNegativeInfinity(viaRegisters[h * stride + n]), "padding lanes of the short last tile are −∞");
        }
    }

    /// <summary>
    /// Runs the op on random queries and caches (slots shuffled across the cache, optionally listing some slots more
    /// than once) and asserts outputs, zero rows for empty sequences, meanProbs and their per-sequence sums.
    /// </summary>
    private static (double Output, double MeanProbs) CheckAgainstReference(int seed, int[] lengths, int d, int hkv, int group, float scale, bool duplicates, double tolerance = 2e-6)
    {
        int h = hkv * group, b = lengths.Length;
        var indptr = new int[b + 1]; // [B + 1]
        for (int i = 0; i < b; i++) indptr[i + 1] = indptr[i] + lengths[i];
        int nnz = indptr[^1];
        var rng = new Random(seed);
        int s = duplicates ? Math.Max(4, nnz / 3) : nnz + 37;
        int[] indices; // [nnz]
        if (duplicates)
            indices = Enumerable.Range(0, nnz).Select(_ => rng.Next(s)).ToArray();
        else
        {
            indices = Enumerable.Range(0, s).ToArray();
            rng.Shuffle(indices);
            indices = indices[..nnz];
        }
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(seed + 1, new Shape(b, h, d));
        using var kCache = TestTensors.Random(seed + 2, new Shape(s, hkv, d), -2f, 2f);
        using var vCache = TestTensors.Random(seed + 3, new Shape(s, hkv, d));
        using var indptrT = Tensor.FromArray(indptr, new Shape(b + 1));
        using var indicesT = Tensor.FromArray(indices, new Shape(nnz));
        using var result = TestTensors.Random(seed + 4, new Shape(b, h, d)); // garbage that must be overwritten
        using var meanProbs = TestTensors.Random(seed + 5, new Shape(nnz));

        backend.AttentionDecode(q, kCache, vCache, indptrT, indicesT, scale, result, meanProbs);

        var (expected, expectedMean) = AttentionReference.Decode(
            q.ToFloatArray(), kCache.ToFloatArray(), vCache.ToFloatArray(), indptr, indices, h, hkv, d, scale);
        float[] actual = result.ToFloatArray(), mean = meanProbs.ToFloatArray();
        double diff = TestTensors.AssertClose(expected, actual, tolerance, what: "output");
        double meanDiff = TestTensors.AssertClose(expectedMean, mean, tolerance, what: "meanProbs");
        for (int i = 0; i < b; i++)
        {
            if (lengths[i] == 0)
            {
                Assert.All(actual.AsSpan(i * h * d, h * d).ToArray(), x => Assert.Equal(0f, x));
                continue;
            }
            double sum = mean.AsSpan(indptr[i], lengths[i]).ToArray().Sum(x => (double)x);
            Assert.True(Math.Abs(sum - 1) < 1e-5, $"sequence {i}: meanProbs sum to {sum}");
        }
        return (diff, meanDiff);
    }
}
