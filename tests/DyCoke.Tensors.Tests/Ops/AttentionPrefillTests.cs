// Tests of CpuBackend.AttentionPrefill against a naive double reference: varlen batches with empty and length-1
// sequences, causal and full masks, GQA ratios 1/2/3/7, head dims 2..128 (odd ones too), peaky logits, a SigLIP-sized
// frame, determinism across thread counts, and argument validation.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public sealed class AttentionPrefillTests(ITestOutputHelper output)
{
    // Lengths cross the 32-row query block and the 64-key tile, and include empty and single-token sequences.
    private static readonly int[] s_lengths = [5, 0, 1, 33, 0, 70, 130];

    [Theory]
    [InlineData(2, 1, 1, true)]
    [InlineData(2, 2, 7, false)]
    [InlineData(5, 1, 3, true)]
    [InlineData(3, 2, 1, false)]
    [InlineData(8, 2, 2, true)]
    [InlineData(8, 1, 1, false)]
    [InlineData(64, 2, 7, true)]
    [InlineData(64, 2, 7, false)]
    [InlineData(64, 3, 1, true)]
    [InlineData(72, 2, 1, false)]
    [InlineData(72, 1, 2, true)]
    [InlineData(128, 1, 7, true)]
    [InlineData(128, 2, 2, false)]
    public void AttentionPrefill_VarlenRandomInputs_MatchesReference(int d, int hkv, int group, bool causal)
    {
        int h = hkv * group;
        int[] cu = CumulativeLengths(s_lengths);
        int t = cu[^1];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(1, new Shape(t, h, d));
        using var k = TestTensors.Random(2, new Shape(t, hkv, d));
        using var v = TestTensors.Random(3, new Shape(t, hkv, d));
        using var cuSeqLens = Tensor.FromArray(cu, new Shape(cu.Length));
        using var result = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        float scale = 1f / MathF.Sqrt(d);

        backend.AttentionPrefill(q, k, v, cuSeqLens, causal, scale, result);

        float[] expected = AttentionReference.Prefill(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), cu, h, hkv, d, causal, scale);
        double diff = TestTensors.AssertClose(expected, result.ToFloatArray(), 1e-6);
        output.WriteLine($"D={d} H={h} Hkv={hkv} causal={causal}: max |diff| {diff:g3}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AttentionPrefill_PeakyLogits_StaysFiniteAndMatchesReference(bool causal)
    {
        // q, k in [-4, 4) at D = 64 and scale 1 give logits beyond ±100: fp32 exp overflows without the max shift.
        const int t = 97, h = 2, hkv = 1, d = 64;
        int[] cu = [0, t];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(11, new Shape(t, h, d), -4f, 4f);
        using var k = TestTensors.Random(12, new Shape(t, hkv, d), -4f, 4f);
        using var v = TestTensors.Random(13, new Shape(t, hkv, d));
        using var cuSeqLens = Tensor.FromArray(cu, new Shape(2));
        using var result = Tensor.Cpu(DType.F32, new Shape(t, h, d));

        backend.AttentionPrefill(q, k, v, cuSeqLens, causal, 1f, result);

        float[] actual = result.ToFloatArray();
        Assert.All(actual, x => Assert.True(float.IsFinite(x)));
        float[] expected = AttentionReference.Prefill(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), cu, h, hkv, d, causal, 1.0);
        // fp32 logits of magnitude ~100 carry ~1e-5 of rounding, which moves each probability by that relative amount.
        double diff = TestTensors.AssertClose(expected, actual, 1e-4);
        output.WriteLine($"causal={causal}: max |diff| {diff:g3}");
    }

    [Fact]
    public void AttentionPrefill_SiglipFrameFullAttention_MatchesReference()
    {
        // One SigLIP frame: 729 tokens, head dim 72, no mask (one of the 16 heads, to keep the reference quick).
        const int t = 729, h = 1, d = 72;
        int[] cu = [0, t];
        using var backend = new CpuBackend();
        using var q = TestTensors.Random(21, new Shape(t, h, d), -2f, 2f);
        using var k = TestTensors.Random(22, new Shape(t, h, d), -2f, 2f);
        using var v = TestTensors.Random(23, new Shape(t, h, d));
        using var cuSeqLens = Tensor.FromArray(cu, new Shape(2));
        using var result = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        float scale = 1f / MathF.Sqrt(d);

        backend.AttentionPrefill(q, k, v, cuSeqLens, causal: false, scale, result);

        float[] expected = AttentionReference.Prefill(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), cu, h, h, d, false, scale);
        output.WriteLine($"SigLIP frame: max |diff| {TestTensors.AssertClose(expected, result.ToFloatArray(), 2e-6):g3}");
    }

    [Fact]
    public void AttentionPrefill_OneOrTwoThreads_GiveIdenticalBits()
    {
        const int h = 14, hkv = 2, d = 64;
        int[] cu = CumulativeLengths([200, 3, 90]);
        int t = cu[^1];
        using var q = TestTensors.Random(31, new Shape(t, h, d));
        using var k = TestTensors.Random(32, new Shape(t, hkv, d));
        using var v = TestTensors.Random(33, new Shape(t, hkv, d));
        using var cuSeqLens = Tensor.FromArray(cu, new Shape(cu.Length));
        using var one = Tensor.Cpu(DType.F32, new Shape(t, h, d));
        using var two = Tensor.Cpu(DType.F32, new Shape(t, h, d));

        using (var single = new CpuBackend(new CpuBackendOptions { Threads = 1 }))
            single.AttentionPrefill(q, k, v, cuSeqLens, causal: true, 0.125f, one);
        using (var dual = new CpuBackend(new CpuBackendOptions { Threads = 2 }))
            dual.AttentionPrefill(q, k, v, cuSeqLens, causal: true, 0.125f, two);

        Assert.Equal(one.ToFloatArray(), two.ToFloatArray());
    }

    [Fact]
    public void AttentionPrefill_AllSequencesEmpty_LeavesOutputUntouched()
    {
        using var backend = new CpuBackend();
        using var q = Tensor.Cpu(DType.F32, new Shape(0, 4, 8));
        using var k = Tensor.Cpu(DType.F32, new Shape(0, 2, 8));
        using var v = Tensor.Cpu(DType.F32, new Shape(0, 2, 8));
        using var cuSeqLens = Tensor.FromArray([0, 0, 0], new Shape(3));
        using var result = Tensor.Cpu(DType.F32, new Shape(0, 4, 8));

        backend.AttentionPrefill(q, k, v, cuSeqLens, causal: true, 1f, result);

        Assert.Equal(0, result.NumElements);
    }

    [Theory]
    [InlineData("cuSeqLens start")]
    [InlineData("cuSeqLens decreasing")]
    [InlineData("cuSeqLens end")]
    [InlineData("cuSeqLens dtype")]
    [InlineData("cuSeqLens empty")]
    [InlineData("heads not multiple")]
    [InlineData("output shape")]
    [InlineData("k head dim")]
    [InlineData("v shape")]
    [InlineData("q dtype")]
    public void AttentionPrefill_InvalidArguments_Throw(string problem)
    {
        using var backend = new CpuBackend();
        using var q = Tensor.Cpu(problem == "q dtype" ? DType.F16 : DType.F32, new Shape(6, problem == "heads not multiple" ? 3 : 4, 8));
        using var k = Tensor.Cpu(DType.F32, new Shape(6, 2, problem == "k head dim" ? 4 : 8));
        using var v = Tensor.Cpu(DType.F32, new Shape(6, problem == "v shape" ? 1 : 2, problem == "k head dim" ? 4 : 8));
        int[] cu = problem switch
        {
            "cuSeqLens start" => [1, 4, 6],
            "cuSeqLens decreasing" => [0, 4, 3, 6],
            "cuSeqLens end" => [0, 4, 5],
            "cuSeqLens empty" => [],
            _ => [0, 4, 6],
        };
        using var cuSeqLens = problem == "cuSeqLens dtype" ? Tensor.Cpu(DType.I64, new Shape(3)) : Tensor.FromArray(cu, new Shape(cu.Length));
        using var result = Tensor.Cpu(DType.F32, new Shape(6, problem == "heads not multiple" ? 3 : 4, problem == "output shape" ? 7 : 8));

        var e = Assert.ThrowsAny<ArgumentException>(() => backend.AttentionPrefill(q, k, v, cuSeqLens, true, 1f, result));
        output.WriteLine($"{problem}: {e.Message}");
    }

    private static int[] CumulativeLengths(int[] lengths)
    {
        var cu = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) cu[i + 1] = cu[i] + lengths[i];
        return cu;
    }
}
