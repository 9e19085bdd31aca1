// DyCoke through Generator on the demo model: K = 0 and P = 0 reproduce the uncompressed model token for token; the
// prompt shrinks to the TTM count (+ newline) with contiguous positions; few, odd and single frames run in both modes.
using DyCoke.Compression;
using DyCoke.Model.Generation;
using DyCoke.Model.Llava;
using Xunit;

namespace DyCoke.Model.Tests.Compression;

public sealed class DyCokeGeneratorTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void Generate_KZeroPZeroPaper_EqualsTheUncompressedModelTokenForToken()
    {
        int[] prompt = demo.VideoPrompt(4, [3, 4, 5], DemoModelFixture.TextIds(31, 6));
        using var pixels = SyntheticFrames.Pixels(4); // [4, 3, 384, 384]
        var generator = new Generator(demo.Model);
        var plain = generator.Generate(new GenerationRequest(prompt, [pixels], 8, -1), TestContext.Current.CancellationToken);

        var steps = new List<DyCokeStep>();
        var options = new DyCokeOptions { K = 0, P = 0 };
        var compressed = generator.Generate(new GenerationRequest(prompt, [pixels], 8, -1, options, steps.Add), TestContext.Current.CancellationToken);

        Assert.Equal(plain.Tokens, compressed.Tokens);
        Assert.Equal(prompt.Length, compressed.PromptTokens);
        Assert.NotNull(compressed.DyCoke);
        Assert.Equal((784, 784, 7, 7), (compressed.DyCoke.VideoTokensBefore, compressed.DyCoke.VideoTokensAfter, compressed.DyCoke.DecodeSteps, compressed.DyCoke.PrunedSteps));
        Assert.All(steps, s => Assert.Equal(784, s.KeptSpanIndices!.Length));
    }

    [Theory]
    [InlineData(DyCokeMode.Paper, 1, 196)]
    [InlineData(DyCokeMode.Reference, 1, 196)]
    [InlineData(DyCokeMode.Paper, 3, 196 + 58 + 58)]
    [InlineData(DyCokeMode.Reference, 3, 196 + 58)]
    [InlineData(DyCokeMode.Paper, 5, 196 * 2 + 58 * 3)]
    [InlineData(DyCokeMode.Reference, 5, 196 + 58 * 3)]
    public void Generate_FewOrOddFrames_PromptShrinksToTheModeCount(DyCokeMode mode, int frames, int videoTokens)
    {
        int[] prefix = [3, 4, 5], suffix = DemoModelFixture.TextIds(32, 5);
        int[] prompt = demo.VideoPrompt(frames, prefix, suffix);
        using var pixels = SyntheticFrames.Pixels(frames);
        var steps = new List<DyCokeStep>();

        var result = new Generator(demo.Model).Generate(new GenerationRequest(prompt, [pixels], 3, -1, new DyCokeOptions { Mode = mode }, steps.Add), TestContext.Current.CancellationToken);

        Assert.Equal(prefix.Length + videoTokens + 1 + suffix.Length, result.PromptTokens);
        Assert.Equal(3, result.Tokens.Length);
        Assert.Equal(videoTokens, result.DyCoke!.VideoTokensAfter);
        Assert.Equal(2, steps.Count);
        Assert.True(steps[0].Pruned); // the first decode step always prunes
    }

    [Fact]
    public void Generate_DisabledOptions_RunUncompressed()
    {
        int[] prompt = demo.VideoPrompt(2, [3], [4, 5]);
        using var pixels = SyntheticFrames.Pixels(2);

        var result = new Generator(demo.Model).Generate(new GenerationRequest(prompt, [pixels], 2, -1, new DyCokeOptions { Enabled = false }), TestContext.Current.CancellationToken);

        Assert.Null(result.DyCoke);
        Assert.Equal(prompt.Length, result.PromptTokens);
    }

    [Fact]
    public void CompressPlaceholders_TwoAdjacentVideos_CutsEachRun()
    {
        const int v = 9;
        int[] ids = [1, v, v, v, v, v, v, v, 2];

        int[] result = VideoTokenMerging.CompressPlaceholders(ids, v, [4, 3], [2, 1]);

        Assert.Equal([1, v, v, v, 2], result);
        Assert.Throws<ArgumentException>(() => VideoTokenMerging.CompressPlaceholders(ids, v, [4, 4], [2, 1]));
    }
}
