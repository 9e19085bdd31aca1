// CUDA decode and prefill attention against the CPU backend on random inputs: varlen batches with empty and one-token
// sequences, causal and full, GQA groups 1/2/7/9, head dims 40..128, shuffled slot lists with a duplicate, meanProbs;
// chunked prefill over cached prefixes (empty, short, longer than a query tile).
// Needs a GPU: every test skips cleanly without one. F16/BF16 inputs are compared with the CPU run on their exact F32 values.
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

[Trait("Category", "Gpu")]
public sealed class CudaAttentionTests
{
    // meanProbs is F32 fp32 math over identical inputs on both backends, whatever the activation dtype.
    private const double ProbsAtol = 1e-9, ProbsRtol = 1e-5;

    [Theory]
    [InlineData(DType.F32, 14, 2, 64, new[] { 0, 1, 37, 300, 1000 })] // Qwen2-0.5B heads, an empty and a 1-slot list
    [InlineData(DType.F32, 28, 4, 128, new[] { 6300 })]               // Qwen2-7B heads, batch 1 over a 32-frame prompt
    [InlineData(DType.F32, 16, 16, 72, new[] { 5, 200, 0 })]          // GQA group 1, D 72
    [InlineData(DType.F32, 18, 2, 128, new[] { 97, 64, 1 })]          // group 9: two CTAs share one kv head
    [InlineData(DType.F32, 4, 2, 40, new[] { 150, 33 })]              // D not a multiple of 32
    [InlineData(DType.F16, 14, 2, 64, new[] { 3, 250, 0 })]
    [InlineData(DType.BF16, 28, 4, 128, new[] { 70, 1, 500 })]
    [InlineData(DType.BF16, 14, 2, 64, new[] { 0, 0 })]               // nothing to attend to: zero rows, no probabilities
    public void AttentionDecode_RandomSlotLists_MatchesCpu(DType dtype, int heads, int kvHeads, int headDim, int[] lengths)
    {
        using var gpu = OpenGpu();
        CheckDecode(gpu, dtype, heads, kvHeads, headDim, lengths, withProbs: true, splits: null, seed: 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    public void AttentionDecode_ForcedSplits_MatchesCpu(int splits)
    {
        using var gpu = OpenGpu();
        CheckDecode(gpu, DType.F32, 14, 2, 64, [0, 1, 65, 300, 2000], withProbs: true, splits, seed: 2);
    }

    [Fact]
    public void AttentionDecode_Batch64_MatchesCpu()
    {
        using var gpu = OpenGpu();
        var rng = new Random(3);
        int[] lengths = new int[64];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = i % 9 == 0 ? 0 : rng.Next(1, 700);
        CheckDecode(gpu, DType.BF16, 14, 2, 64, lengths, withProbs: true, splits: null, seed: 3);
    }

    [Fact]
    public void AttentionDecode_WithoutMeanProbs_MatchesCpu()
    {
        using var gpu = OpenGpu();
        CheckDecode(gpu, DType.F16, 28, 4, 128, [400, 0, 9], withProbs: false, splits: null, seed: 4);
    }

    [Theory]
    [InlineData(DType.F32, 14, 2, 64, true, new[] { 0, 1, 63, 64, 65, 200 })] // tile edges, causal
    [InlineData(DType.F32, 14, 2, 64, false, new[] { 0, 1, 63, 64, 65, 200 })]
    [InlineData(DType.F32, 16, 16, 72, false, new[] { 729, 729 })]           // SigLIP: two frames, full attention
    [InlineData(DType.F32, 28, 4, 128, true, new[] { 300, 1, 129 })]
    [InlineData(DType.F32, 4, 2, 40, true, new[] { 130, 7 })]
    [InlineData(DType.F32, 4, 4, 96, false, new[] { 90 })]
    [InlineData(DType.F16, 14, 2, 64, true, new[] { 100, 0, 33 })]
    [InlineData(DType.BF16, 16, 16, 72, false, new[] { 729 })]
    [InlineData(DType.BF16, 28, 4, 128, true, new[] { 150 })]
    public void AttentionPrefill_RandomBatch_MatchesCpu(DType dtype, int heads, int kvHeads, int headDim, bool causal, int[] lengths)
    {
        using var gpu = OpenGpu();
        CheckPrefill(gpu, dtype, heads, kvHeads, headDim, causal, lengths, seed: 5);
    }

    [Fact]
    public void AttentionPrefill_ManySequences_MatchesCpu()
    {
        // Over 32 sequences: the device-side tile search scans cuSeqLens in more than one warp-wide step.
        using var gpu = OpenGpu();
        int[] lengths = new int[70];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = i % 5 == 0 ? 0 : i % 7 + 1;
        lengths[41] = 130;
        CheckPrefill(gpu, DType.F32, 14, 2, 64, causal: true, lengths, seed: 6);
    }

    [Theory]
    [InlineData(DType.F32, 14, 2, 64, new[] { 1, 0, 70, 13, 64 }, new[] { 0, 9, 130, 0, 257 })]
    [InlineData(DType.F32, 28, 4, 128, new[] { 200 }, new[] { 6000 })]          // a late chunk of a 32-frame prompt
    [InlineData(DType.F32, 18, 2, 40, new[] { 65, 1 }, new[] { 31, 500 })]      // group 9, D not a multiple of 32
    [InlineData(DType.F16, 14, 2, 64, new[] { 100, 0, 33 }, new[] { 64, 5, 0 })]
    [InlineData(DType.BF16, 28, 4, 128, new[] { 7, 150 }, new[] { 1, 90 })]
    public void AttentionPrefillCached_RandomChunks_MatchesCpu(DType dtype, int heads, int kvHeads, int headDim, int[] chunks, int[] prefixes)
    {
        using var gpu = OpenGpu();
        int b = chunks.Length, t = chunks.Sum(), slots = 2 * (t + prefixes.Sum()) + 16;
        int[] cu = new int[b + 1], indptr = new int[b + 1];
        var indices = new List<int>();
        var rng = new Random(7);
        int[] all = Enumerable.Range(0, slots).ToArray();
        for (int i = 0; i < b; i++)
        {
            cu[i + 1] = cu[i] + chunks[i];
            rng.Shuffle(all);
            indices.AddRange(all[..(prefixes[i] + chunks[i])]);
            indptr[i + 1] = indices.Count;
        }
        using var owned = new Owned();
        var q = owned.Add(TestTensors.Random(8, new Shape(t, heads, headDim), dtype, -2f, 2f));          // [T, H, D]
        var kCache = owned.Add(TestTensors.Random(9, new Shape(slots, kvHeads, headDim), dtype));        // [S, Hkv, D]
        var vCache = owned.Add(TestTensors.Random(10, new Shape(slots, kvHeads, headDim), dtype));       // [S, Hkv, D]
        var cuT = owned.Add(Tensor.FromArray(cu, new Shape(b + 1)));                                    // [B + 1]
        var indptrT = owned.Add(Tensor.FromArray(indptr, new Shape(b + 1)));                            // [B + 1]
        var indicesT = owned.Add(Tensor.FromArray([.. indices], new Shape(indices.Count)));              // [nnz]
        float scale = 1f / MathF.Sqrt(headDim);

        using var cpu = new CpuBackend();
        var expected = owned.Add(Tensor.Cpu(DType.F32, q.Shape));                                        // [T, H, D]
        cpu.AttentionPrefillCached(owned.Add(Widen(q)), owned.Add(Widen(kCache)), owned.Add(Widen(vCache)), cuT, indptrT, indicesT, scale, expected);

        var output = owned.Add(Upload(gpu, owned.Add(NaNs(dtype, q.Shape))));                            // [T, H, D]
        gpu.AttentionPrefillCached(owned.Add(Upload(gpu, q)), owned.Add(Upload(gpu, kCache)), owned.Add(Upload(gpu, vCache)),
            owned.Add(Upload(gpu, cuT)), owned.Add(Upload(gpu, indptrT)), owned.Add(Upload(gpu, indicesT)), scale, output);

        var (atol, rtol) = OutputTolerance(dtype);
        TestTensors.AssertClose(expected.ToFloatArray(), Download(gpu, output), atol, rtol, $"prefill cached {dtype}");
    }

    [Fact]
    public void AttentionDecode_MixedDTypes_Throws()
    {
        using var gpu = OpenGpu();
        using var q = gpu.Allocate(DType.BF16, new Shape(1, 2, 64));
        using var k = gpu.Allocate(DType.F32, new Shape(4, 2, 64));
        using var v = gpu.Allocate(DType.F32, new Shape(4, 2, 64));
        using var output = gpu.Allocate(DType.BF16, new Shape(1, 2, 64));
        using var indptr = gpu.Allocate(DType.I32, new Shape(2));
        using var indices = gpu.Allocate(DType.I32, new Shape(0));
        var e = Assert.Throws<ArgumentException>(() => gpu.AttentionDecode(q, k, v, indptr, indices, 0.125f, output, null));
        Assert.Equal("kCache", e.ParamName);
    }

    [Fact]
    public void AttentionPrefill_HeadDimAbove128_Throws()
    {
        using var gpu = OpenGpu();
        using var q = gpu.Allocate(DType.F16, new Shape(3, 2, 160));
        using var kv = gpu.Allocate(DType.F16, new Shape(3, 2, 160));
        using var output = gpu.Allocate(DType.F16, new Shape(3, 2, 160));
        using var cu = gpu.Allocate(DType.I32, new Shape(2));
        var e = Assert.Throws<ArgumentException>(() => gpu.AttentionPrefill(q, kv, kv, cu, true, 0.1f, output));
        Assert.Contains("1..128", e.Message);
    }

    private static CudaBackend OpenGpu()
    {
        Assert.SkipUnless(CudaDevice.TryProbe(out _, out string why), why);
        return new CudaBackend();
    }

    private static void CheckDecode(CudaBackend gpu, DType dtype, int heads, int kvHeads, int headDim, int[] lengths, bool withProbs, int? splits, int seed)
    {
        int b = lengths.Length, nnz = lengths.Sum(), slots = Math.Max(2 * lengths.Max(), 16);
        using var owned = new Owned();
        var q = owned.Add(TestTensors.Random(seed, new Shape(b, heads, headDim), dtype, -2f, 2f));             // [B, H, D]
        var kCache = owned.Add(TestTensors.Random(seed + 1, new Shape(slots, kvHeads, headDim), dtype));     // [S, Hkv, D]
        var vCache = owned.Add(TestTensors.Random(seed + 2, new Shape(slots, kvHeads, headDim), dtype));     // [S, Hkv, D]
        var (indptr, indices) = SlotLists(seed + 3, lengths, slots);
        var kvIndptr = owned.Add(Tensor.FromArray(indptr, new Shape(b + 1)));                              // [B + 1]
        var kvIndices = owned.Add(Tensor.FromArray(indices, new Shape(nnz)));                              // [nnz]
        float scale = 1f / MathF.Sqrt(headDim);

        using var cpu = new CpuBackend();
        var expected = owned.Add(Tensor.Cpu(DType.F32, q.Shape));                                          // [B, H, D]
        var expectedProbs = withProbs ? owned.Add(Tensor.Cpu(DType.F32, new Shape(nnz))) : null;           // [nnz]
        cpu.AttentionDecode(owned.Add(Widen(q)), owned.Add(Widen(kCache)), owned.Add(Widen(vCache)), kvIndptr, kvIndices, scale, expected, expectedProbs);

        // Outputs start as NaN, so an element the kernels never write fails the comparison.
        var output = owned.Add(Upload(gpu, owned.Add(NaNs(dtype, q.Shape))));                              // [B, H, D]
        var probs = withProbs ? owned.Add(Upload(gpu, owned.Add(NaNs(DType.F32, new Shape(nnz))))) : null; // [nnz]
        var qd = owned.Add(Upload(gpu, q));
        var kd = owned.Add(Upload(gpu, kCache));
        var vd = owned.Add(Upload(gpu, vCache));
        var indptrD = owned.Add(Upload(gpu, kvIndptr));
        var indicesD = owned.Add(Upload(gpu, kvIndices));
        if (splits is int n) gpu.AttentionDecode(qd, kd, vd, indptrD, indicesD, scale, output, probs, n);
        else gpu.AttentionDecode(qd, kd, vd, indptrD, indicesD, scale, output, probs);

        var (atol, rtol) = OutputTolerance(dtype);
        TestTensors.AssertClose(expected.ToFloatArray(), Download(gpu, output), atol, rtol, $"decode out {dtype}");
        if (withProbs)
            TestTensors.AssertClose(expectedProbs!.ToFloatArray(), Download(gpu, probs!), ProbsAtol, ProbsRtol, "decode meanProbs");
    }

    private static void CheckPrefill(CudaBackend gpu, DType dtype, int heads, int kvHeads, int headDim, bool causal, int[] lengths, int seed)
    {
        int t = lengths.Sum();
        int[] offsets = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) offsets[i + 1] = offsets[i] + lengths[i];
        using var owned = new Owned();
        var q = owned.Add(TestTensors.Random(seed, new Shape(t, heads, headDim), dtype, -2f, 2f)); // [T, H, D]
        var k = owned.Add(TestTensors.Random(seed + 1, new Shape(t, kvHeads, headDim), dtype));  // [T, Hkv, D]
        var v = owned.Add(TestTensors.Random(seed + 2, new Shape(t, kvHeads, headDim), dtype));  // [T, Hkv, D]
        var cuSeqLens = owned.Add(Tensor.FromArray(offsets, new Shape(offsets.Length)));        // [B + 1]
        float scale = 1f / MathF.Sqrt(headDim);

        using var cpu = new CpuBackend();
        var expected = owned.Add(Tensor.Cpu(DType.F32, q.Shape));                               // [T, H, D]
        cpu.AttentionPrefill(owned.Add(Widen(q)), owned.Add(Widen(k)), owned.Add(Widen(v)), cuSeqLens, causal, scale, expected);

        var output = owned.Add(Upload(gpu, owned.Add(NaNs(dtype, q.Shape))));                   // [T, H, D]
        gpu.AttentionPrefill(owned.Add(Upload(gpu, q)), owned.Add(Upload(gpu, k)), owned.Add(Upload(gpu, v)),
            owned.Add(Upload(gpu, cuSeqLens)), causal, scale, output);

        var (atol, rtol) = OutputTolerance(dtype);
        TestTensors.AssertClose(expected.ToFloatArray(), Download(gpu, output), atol, rtol, $"prefill {(causal ? "causal" : "full")} {dtype}");
    }

    /// <summary>
    /// Per sequence, distinct slots in random order from [0, S); lists longer than 3 list their first slot again at
    /// position 2 (a gather: it counts twice).
    /// </summary>
    private static (int[] Indptr, int[] Indices) SlotLists(int seed, int[] lengths, int slots)
    {
        var rng = new Random(seed);
        int[] indptr = new int[lengths.Length + 1]; // [B + 1]
        for (int i = 0; i < lengths.Length; i++) indptr[i + 1] = indptr[i] + lengths[i];
        int[] indices = new int[indptr[^1]]; // [nnz]
        int[] all = Enumerable.Range(0, slots).ToArray();
        for (int i = 0; i < lengths.Length; i++)
        {
            rng.Shuffle(all);
            all.AsSpan(0, lengths[i]).CopyTo(indices.AsSpan(indptr[i]));
            if (lengths[i] > 3) indices[indptr[i] + 2] = indices[indptr[i]];
        }
        return (indptr, indices);
    }

    /// <summary>F32 on any backend is within fp32 rounding; F16/BF16 add the rounding of the stored output.</summary>
    private static (double Atol, double Rtol) OutputTolerance(DType dtype) => dtype switch
    {
        DType.F32 => (1e-6, 1e-5),
        DType.F16 => (1e-5, 1e-3), // half an F16 ulp is 2^-11 ≈ 4.9e-4 of the value
        _ => (1e-5, 8e-3),         // half a BF16 ulp is 2^-8 ≈ 3.9e-3 of the value
    };

    /// <summary>The exact F32 values of a float tensor of any dtype (the CPU backend computes on F32).</summary>
    private static Tensor Widen(Tensor t) => Tensor.FromArray(t.ToFloatArray(), t.Shape);

    private static Tensor NaNs(DType dtype, Shape shape)
    {
        var t = Tensor.Cpu(dtype, shape);
        if (dtype == DType.F32) t.Span<float>().Fill(float.NaN);
        else t.Span<ushort>().Fill(dtype == DType.F16 ? (ushort)0x7E00 : (ushort)0x7FC0);
        return t;
    }

    private static Tensor Upload(CudaBackend gpu, Tensor host)
    {
        var device = gpu.Allocate(host.DType, host.Shape);
        gpu.Copy(host, device);
        return device;
    }

    private static float[] Download(CudaBackend gpu, Tensor device)
    {
        using var host = Tensor.Cpu(device.DType, device.Shape);
        gpu.Copy(device, host); // synchronizes the stream, so kernel faults surface here
        return host.ToFloatArray();
    }

    /// <summary>Disposes every tensor a test made, device ones before the backend that owns their context.</summary>
    private sealed class Owned : IDisposable
    {
        private readonly List<Tensor> _tensors = [];

        public Tensor Add(Tensor t)
        {
            _tensors.Add(t);
            return t;
        }

        public void Dispose()
        {
            foreach (var t in _tensors) t.Dispose();
        }
    }
}
