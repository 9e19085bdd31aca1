// The model allocates the outputs of its linear, norm, activation, embedding and gather ops uninitialized
// (IBackend.AllocateUninitialized): each op must write every element before anything reads it. Here a backend whose
// uninitialized tensors come back full of NaN (all bits set; −1 for I32) runs the same video prompt as the plain CPU
// backend: one element read before it was written would turn the logits into NaN.
using System.Reflection;
using System.Runtime.ExceptionServices;
using DyCoke.Compression;
using DyCoke.Model.Generation;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Model.Tests;

public sealed class UninitializedOutputsTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void PoisonedUninitializedTensors_PrefillAndDecodeLogitsAreBitIdentical()
    {
        using var inner = new CpuBackend();
        var poisoned = PoisoningBackend.Wrap(inner);
        using var model = LlavaOnevisionModel.Load(demo.Directory, poisoned);
        int[] prompt = demo.VideoPrompt(2, [3, 4, 5], DemoModelFixture.TextIds(21, 6));
        using var pixels = SyntheticFrames.Pixels(2); // [2, 3, 384, 384]

        var (plainPrefill, plainDecode) = PrefillThenDecode(demo.Model, prompt, pixels);
        var (poisonedPrefill, poisonedDecode) = PrefillThenDecode(model, prompt, pixels);

        Assert.True(PoisoningBackend.Poisoned > 0, "the model allocated nothing uninitialized");
        Assert.All(plainPrefill, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(plainPrefill, poisonedPrefill);
        Assert.Equal(plainDecode, poisonedDecode);
    }

    [Fact]
    public void PoisonedUninitializedTensors_DyCokeGenerationMatchesThePlainBackend()
    {
        using var inner = new CpuBackend();
        using var model = LlavaOnevisionModel.Load(demo.Directory, PoisoningBackend.Wrap(inner));
        int[] prompt = demo.VideoPrompt(2, [7, 8], DemoModelFixture.TextIds(22, 5));
        using var pixels = SyntheticFrames.Pixels(2); // [2, 3, 384, 384]
        var request = new GenerationRequest(prompt, [pixels], MaxNewTokens: 6, StopTokenId: -1, new DyCokeOptions());

        var plain = new Generator(demo.Model).Generate(request, TestContext.Current.CancellationToken);
        var poisoned = new Generator(model).Generate(request, TestContext.Current.CancellationToken);

        Assert.Equal(plain.Tokens, poisoned.Tokens);
    }

    // Prefill logits [V] of the prompt, then the logits [V] of one decode step on token 9 over the full cache.
    private static (float[] Prefill, float[] Decode) PrefillThenDecode(LlavaOnevisionModel model, int[] prompt, Tensor pixels)
    {
        var backend = model.Backend;
        var lm = model.LanguageModel;
        using var video = model.EncodeVideo(pixels); // [F·196 + 1, C]
        using var embeds = model.EmbedPrompt(prompt, [video]); // [T, C]
        using var cache = lm.CreateKvCache(prompt.Length + 1);
        int[] positions = Enumerable.Range(0, prompt.Length).ToArray();
        using var batch = PrefillBatch.Create(backend, [prompt.Length], positions, positions);
        using var prefill = lm.Prefill(embeds, batch, cache); // [1, V]
        int position = prompt.Length;
        using var step = DecodeBatch.Create(backend, [9], [position], [position]);
        using var lists = FullKvLists.Create(backend, [Enumerable.Range(0, position + 1).ToArray()]);
        using var decode = lm.Decode(step, cache, lists); // [1, V]
        return (prefill.ToFloatArray(), decode.ToFloatArray());
    }
}

/// <summary>Forwards every <see cref="IBackend"/> call, and fills each tensor <see cref="IBackend.AllocateUninitialized"/>
/// returns with all-ones bytes (NaN in every float dtype).</summary>
public class PoisoningBackend : DispatchProxy
{
    private IBackend _inner = null!;

    /// <summary>Uninitialized tensors handed out by every instance (the tests only read it as "some").</summary>
    public static int Poisoned;

    public static IBackend Wrap(IBackend inner)
    {
        var proxy = Create<IBackend, PoisoningBackend>();
        ((PoisoningBackend)(object)proxy)._inner = inner;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        object? result;
        try
        {
            result = method!.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
        if (method.Name == nameof(IBackend.AllocateUninitialized) && result is Tensor tensor)
        {
            switch (tensor.DType.SizeOf())
            {
                case 4: tensor.Span<uint>().Fill(uint.MaxValue); break;
                case 2: tensor.Span<ushort>().Fill(ushort.MaxValue); break;
                default: tensor.Span<byte>().Fill(byte.MaxValue); break;
            }
            Interlocked.Increment(ref Poisoned);
        }
        return result;
    }
}
