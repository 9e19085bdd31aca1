// Tests of CpuBackend.AttentionPrefillCached: chunks over shuffled cached contexts (prefixes of 0, short and past a
// query block) against a naive double reference at odd sizes and GQA ratios, equality with AttentionPrefill when the
// prefix is empty, a sequence prefilled chunk by chunk equal to one pass, thread-count determinism and validation.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public sealed class AttentionPrefillCachedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 1, 1)]
    [InlineData(8, 2, 2)]
    [InlineData(13, 1, 5)]
    [InlineData(64, 2, 7)]
    [InlineData(72, 3, 1)]
    [InlineData(128, 4, 7)]
    public void AttentionPrefillCached_ChunksOverShuffledContexts_MatchReference(int d, int hkv, int group)
    {
        int h = hkv * group;
        int[] chunks = [1, 0, 70, 13, 5, 33];
        int[] prefixes = [0, 9, 130, 0, 257, 1];
        const int s = 700;
        var (cu, indptr, indices) = Lists(5, chunks, prefixes, s);
        int t = cu[^1];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(1, new Shape(t, h, d), -2f, 2f);
        using var kCache = TestTensors.Random(2, new Shape(s, hkv, d), -2f, 2f);
        using var vCache = TestTensors.Random(3, new Shape(s, hkv, d));
        using var cuT = Tensor.FromArray(cu, new Shape(cu.Length));
        using var indptrT = Tensor.FromArray(indptr, new Shape(indptr.Length));
        using var indicesT = Tensor.FromArray(indices, new Shape(indices.Length));
        using var result = TestTensors.Random(4, new Shape(t, h, d)); // garbage that must be overwritten
        float scale = 1f / MathF.Sqrt(d);

        backend.AttentionPrefillCached(q, kCache, vCache, cuT, indptrT, indicesT, scale, result);

        float[] expected = AttentionReference.PrefillCached(q.ToFloatArray(), kCache.ToFloatArray(), vCache.ToFloatArray(), cu, indptr, indices, h, hkv, d, scale);
        double diff = TestTensors.AssertClose(expected, result.ToFloatArray(), 1e-6, 1e-5);
        output.WriteLine($"D={d} H={h} Hkv={hkv}: max |diff| {diff:g3}");
    }

    [Theory]
    [InlineData(37, 14, 2, 64)]
    [InlineData(150, 4, 4, 72)]
    [InlineData(1, 2, 1, 16)]
    public void AttentionPrefillCached_EmptyPrefix_EqualsAttentionPrefill(int t, int h, int hkv, int d)
    {
        // Two sequences whose K/V sit in shuffled cache slots: with nothing cached before them, attending over the
        // cache must give exactly what causal prefill over the fresh rows gives (same tiles, same order of operations).
        int[] lengths = [t, t / 2 + 1];
        int total = lengths.Sum(), s = total + 17;
        int[] slots = Shuffled(6, s)[..total];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(7, new Shape(total, h, d), -2f, 2f);
        using var k = TestTensors.Random(8, new Shape(total, hkv, d), -2f, 2f);
        using var v = TestTensors.Random(9, new Shape(total, hkv, d));
        using var kCache = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(s, hkv, d));
        for (int i = 0; i < total; i++)
        {
            k.Span<float>().Slice(i * hkv * d, hkv * d).CopyTo(kCache.Span<float>().Slice(slots[i] * hkv * d));
            v.Span<float>().Slice(i * hkv * d, hkv * d).CopyTo(vCache.Span<float>().Slice(slots[i] * hkv * d));
        }
        using var cu = Tensor.FromArray([0, lengths[0], total], new Shape(3));
        using var indices = Tensor.FromArray(slots, new Shape(total));
        using var fresh = Tensor.Cpu(DType.F32, new Shape(total, h, d));
        using var cached = Tensor.Cpu(DType.F32, new Shape(total, h, d));
        float scale = 1f / MathF.Sqrt(d);

        backend.AttentionPrefill(q, k, v, cu, causal: true, scale, fresh);
        backend.AttentionPrefillCached(q, kCache, vCache, cu, cu, indices, scale, cached);

        Assert.Equal(fresh.ToFloatArray(), cached.ToFloatArray());
    }

    [Fact]
    public void AttentionPrefillCached_ChunkByChunk_EqualsOnePass()
    {
        // One 200-token sequence prefilled in chunks of 1, 7, 64 and the rest, each over everything cached so far.
        const int t = 200, h = 14, hkv = 2, d = 64, s = 260;
        int[] slots = Shuffled(10, s)[..t];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(11, new Shape(t, h, d), -2f, 2f);
        using var kCache = TestTensors.Random(12, new Shape(s, hkv, d), -2f, 2f);
        using var vCache = TestTensors.Random(13, new Shape(s, hkv, d));
        using var indices = Tensor.FromArray(slots, new Shape(t));
        using var whole = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        using var chunked = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        using (var cu = Tensor.FromArray([0, t], new Shape(2)))
            backend.AttentionPrefillCached(q, kCache, vCache, cu, cu, indices, 0.125f, whole);

        int done = 0;
        foreach (int n in (int[])[1, 7, 64, t - 72])
        {
            using var cu = Tensor.FromArray([0, n], new Shape(2));
            using var indptr = Tensor.FromArray([0, done + n], new Shape(2));
            using var context = Tensor.FromArray(slots[..(done + n)], new Shape(done + n));
            using var chunkQ = q.Rows(done, n);
            using var chunkOut = chunked.Rows(done, n);
            backend.AttentionPrefillCached(chunkQ, kCache, vCache, cu, indptr, context, 0.125f, chunkOut);
            done += n;
        }

        TestTensors.AssertClose(whole.ToFloatArray(), chunked.ToFloatArray(), 1e-6, 1e-6);
    }

    [Fact]
    public void AttentionPrefillCached_OneOrTwoThreads_GiveIdenticalBits()
    {
        const int h = 14, hkv = 2, d = 64, s = 900;
        var (cu, indptr, indices) = Lists(20, [90, 3, 200], [300, 0, 77], s);
        using var q = TestTensors.Random(21, new Shape(cu[^1], h, d));
        using var kCache = TestTensors.Random(22, new Shape(s, hkv, d));
        using var vCache = TestTensors.Random(23, new Shape(s, hkv, d));
        using var cuT = Tensor.FromArray(cu, new Shape(cu.Length));
        using var indptrT = Tensor.FromArray(indptr, new Shape(indptr.Length));
        using var indicesT = Tensor.FromArray(indices, new Shape(indices.Length));
        using var out1 = Tensor.Cpu(DType.F32, q.Shape);
        using var out2 = Tensor.Cpu(DType.F32, q.Shape);

        using (var single = new CpuBackend(new CpuBackendOptions { Threads = 1 }))
            single.AttentionPrefillCached(q, kCache, vCache, cuT, indptrT, indicesT, 0.125f, out1);
        using (var dual = new CpuBackend(new CpuBackendOptions { Threads = 2 }))
            dual.AttentionPrefillCached(q, kCache, vCache, cuT, indptrT, indicesT, 0.125f, out2);

        Assert.Equal(out1.ToFloatArray(), out2.ToFloatArray());
    }

    [Theory]
    [InlineData("slot negative", "kvIndices")]
    [InlineData("slot past cache", "kvIndices")]
    [InlineData("context shorter than chunk", "kvIndptr")]
    [InlineData("indptr length", "kvIndptr")]
    [InlineData("indptr end", "kvIndptr")]
    [InlineData("cuSeqLens end", "cuSeqLens")]
    [InlineData("heads not multiple", "q")]
    [InlineData("vCache shape", "vCache")]
    [InlineData("indices dtype", "kvIndices")]
    public void AttentionPrefillCached_InvalidArguments_Throw(string problem, string parameter)
    {
        using var backend = new CpuBackend();
        int h = problem == "heads not multiple" ? 3 : 4;
        using var q = Tensor.Cpu(DType.F32, new Shape(4, h, 8));
        using var kCache = Tensor.Cpu(DType.F32, new Shape(10, 2, 8));
        using var vCache = Tensor.Cpu(DType.F32, new Shape(problem == "vCache shape" ? 9 : 10, 2, 8));
        int[] cu = problem == "cuSeqLens end" ? [0, 1, 3] : [0, 1, 4];
        int[] indptr = problem switch
        {
            "context shorter than chunk" => [0, 3, 5],
            "indptr length" => [0, 6],
            "indptr end" => [0, 2, 5],
            _ => [0, 2, 6],
        };
        int[] indices = [0, 9, problem == "slot negative" ? -1 : 2, 3, problem == "slot past cache" ? 10 : 4, 5];
        using var cuT = Tensor.FromArray(cu, new Shape(cu.Length));
        using var indptrT = Tensor.FromArray(indptr, new Shape(indptr.Length));
        using var indicesT = problem == "indices dtype" ? Tensor.Cpu(DType.F32, new Shape(6)) : Tensor.FromArray(indices, new Shape(6));
        using var result = Tensor.Cpu(DType.F32, new Shape(4, h, 8));

        var e = Assert.ThrowsAny<ArgumentException>(() => backend.AttentionPrefillCached(q, kCache, vCache, cuT, indptrT, indicesT, 1f, result));
        Assert.Equal(parameter, e.ParamName);
        output.WriteLine($"{problem}: {e.Message}");
    }

    /// <summary>Per sequence, prefix + chunk distinct slots of [0, S) in random order; the query and context offsets.</summary>
    private static (int[] Cu, int[] Indptr, int[] Indices) Lists(int seed, int[] chunks, int[] prefixes, int slots)
    {
        var rng = new Random(seed);
        int[] cu = new int[chunks.Length + 1], indptr = new int[chunks.Length + 1];
        var indices = new List<int>();
        int[] all = Enumerable.Range(0, slots).ToArray();
        for (int b = 0; b < chunks.Length; b++)
        {
            cu[b + 1] = cu[b] + chunks[b];
            rng.Shuffle(all);
            indices.AddRange(all[..(prefixes[b] + chunks[b])]);
            indptr[b + 1] = indices.Count;
        }
        return (cu, indptr, [.. indices]);
    }

    private static int[] Shuffled(int seed, int n)
    {
        int[] a = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(a);
        return a;
    }
}
