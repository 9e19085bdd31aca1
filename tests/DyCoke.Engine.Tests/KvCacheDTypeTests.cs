// The KV cache's dtype setting (Model:KvCacheDType): how names resolve on the CPU, and a BF16 cache in the real runner
// (demo model, DyCoke on): half the bytes, and logits within BF16 rounding of an F32 cache's at every step.
using DyCoke.Compression;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class KvCacheDTypeTests(DemoEngineFixture fixture, ITestOutputHelper output) : IClassFixture<DemoEngineFixture>
{
    [Theory]
    [InlineData(null, DType.BF16)]
    [InlineData("auto", DType.BF16)]
    [InlineData("float32", DType.F32)]
    [InlineData("BFloat16", DType.BF16)]
    [InlineData("bf16", DType.BF16)]
    public void Resolve_OnTheCpu_AutoIsBf16AndNamesPinTheDType(string? name, DType expected) =>
        Assert.Equal(expected, KvCacheDTypeOption.Resolve(name, fixture.Model));

    [Theory]
    [InlineData("float16")] // a real dtype, but the CPU kernels widen only BF16
    [InlineData("fp8")]
    [InlineData("int4")]
    public void Resolve_UnsupportedOrUnknownName_ThrowsNamingTheChoices(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => KvCacheDTypeOption.Resolve(name, fixture.Model));
        Assert.Contains(name, e.Message);
        Assert.Contains("auto", e.Message);
    }

    [Fact]
    public void ModelRunner_Bf16Cache_HalfTheBytesAndLogitsCloseToF32AtEveryStep()
    {
        using var f32 = new ModelRunner(fixture.Model, 1024, kvCacheDType: DType.F32);
        using var bf16 = new ModelRunner(fixture.Model, 1024, kvCacheDType: DType.BF16);
        Assert.Equal(DType.BF16, bf16.KvCacheDType);
        Assert.Equal(f32.KvCacheBytes / 2, bf16.KvCacheBytes);

        var options = new SchedulerOptions { BlockSize = 16 };
        using var frames = fixture.Frames(2, seed: 3);
        int[] prompt = fixture.VideoPrompt(2, DemoEngineFixture.TextIds(1, 6), DemoEngineFixture.TextIds(2, 9));
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 12 };
        var (a, schedA) = Start(f32, prompt, frames, sampling, options);
        var (b, schedB) = Start(bf16, prompt, frames, sampling, options);

        double worst = 0;
        for (int step = 0; step < 12; step++)
        {
            float[] la = Forward(f32, schedA), lb = Forward(bf16, schedB); // [V]
            double scale = la.Max(x => Math.Abs(x));
            double diff = la.Zip(lb, (x, y) => Math.Abs(x - y)).Max();
            worst = Math.Max(worst, diff / scale);
            // BF16 keeps 8 significant bits of each K and V element (relative error ≤ 2^-9); measured here: logits move
            // by ~1e-4 of their range.
            Assert.True(diff <= 2e-3 * scale, $"step {step}: max |logit diff| {diff:g3} against logits up to {scale:g3}");
            // Both continue with the F32 run's greedy token, so the two caches always hold the same sequence.
            int token = Array.IndexOf(la, la.Max());
            a.AppendToken(token);
            b.AppendToken(token);
        }
        Assert.True(a.Pruning is not null && b.Pruning is not null, "DyCoke's pruning ran in both");
        output.WriteLine($"worst max |logit diff| / max |logit| over 12 steps: {worst:g3}");
    }

    private static (Sequence, Scheduler) Start(ModelRunner runner, int[] prompt, Tensor frames, SamplingParams sampling, SchedulerOptions options)
    {
        var scheduler = new Scheduler(new KvCachePool(runner.NumSlots / options.BlockSize, options.BlockSize), options, runner.Model.Config.TokensPerFrame);
        var seq = new Sequence(1, new EngineRequest("kv", prompt, [frames], sampling) { DyCoke = new DyCokeOptions() }, options.BlockSize);
        scheduler.Add(seq);
        return (seq, scheduler);
    }

    // One scheduler step of a single sequence: its prefill, or one decode; returns its logits row [V].
    private static float[] Forward(ModelRunner runner, Scheduler scheduler)
    {
        var step = scheduler.Schedule();
        if (step.Decodes.Count == 1) return runner.Decode(step.Decodes).ToArray();
        var result = runner.Prefill(step.Prefills);
        Assert.Single(result.Completed);
        return result.Logits;
    }
}
