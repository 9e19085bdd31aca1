// Greedy generation through the KV cache against recomputing the whole sequence with a fresh prefill at every step,
// and the two ways it ends.
using DyCoke.Model.Generation;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests.Generation;

public sealed class GeneratorTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void Generate_TextPrompt_EqualsArgmaxOfAFullRecomputeAtEveryStep()
    {
        int[] prompt = DemoModelFixture.TextIds(11, 12);
        var result = new Generator(demo.Model).Generate(new GenerationRequest(prompt, [], MaxNewTokens: 6, StopTokenId: -1), TestContext.Current.CancellationToken);

        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(12, result.PromptTokens);
        Assert.Equal(Recompute(prompt, null, 6), result.Tokens);
    }

    [Fact]
    public void Generate_VideoPrompt_EqualsArgmaxOfAFullRecomputeAtEveryStep()
    {
        int[] prompt = demo.VideoPrompt(2, [3, 4, 5], DemoModelFixture.TextIds(12, 6));
        using var pixels = SyntheticFrames.Pixels(2); // [2, 3, 384, 384]
        var result = new Generator(demo.Model).Generate(new GenerationRequest(prompt, [pixels], MaxNewTokens: 4, StopTokenId: -1), TestContext.Current.CancellationToken);

        Assert.Equal(Recompute(prompt, pixels, 4), result.Tokens);
    }

    [Fact]
    public void Generate_StopTokenComesFirst_StopsAfterItAndKeepsIt()
    {
        int[] prompt = DemoModelFixture.TextIds(13, 9);
        var generator = new Generator(demo.Model);
        int first = generator.Generate(new GenerationRequest(prompt, [], MaxNewTokens: 1, StopTokenId: -1), TestContext.Current.CancellationToken).Tokens.Single();

        var result = generator.Generate(new GenerationRequest(prompt, [], MaxNewTokens: 10, StopTokenId: first), TestContext.Current.CancellationToken);

        Assert.Equal([first], result.Tokens);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
    }

    [Fact]
    public void Generate_ZeroNewTokens_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Generator(demo.Model).Generate(new GenerationRequest([1, 2], [], 0, -1), TestContext.Current.CancellationToken));
        Assert.Contains("MaxNewTokens", e.Message);
    }

    // Each step: prefill prompt + tokens so far from scratch, take the argmax of the last position.
    private int[] Recompute(int[] prompt, Tensor? pixels, int steps)
    {
        var model = demo.Model;
        var tokens = new List<int>();
        using var video = pixels is null ? null : model.EncodeVideo(pixels); // [F·196 + 1, C]
        for (int step = 0; step < steps; step++)
        {
            int[] ids = [.. prompt, .. tokens];
            using var embeds = model.EmbedPrompt(ids, video is null ? [] : [video]);
            using var cache = model.LanguageModel.CreateKvCache(ids.Length);
            int[] positions = Enumerable.Range(0, ids.Length).ToArray();
            using var batch = PrefillBatch.Create(demo.Backend, [ids.Length], positions, positions);
            using var logits = model.LanguageModel.Prefill(embeds, batch, cache); // [1, V]
            float[] row = logits.ToFloatArray();
            tokens.Add(Array.IndexOf(row, row.Max()));
        }
        return tokens.ToArray();
    }
}
