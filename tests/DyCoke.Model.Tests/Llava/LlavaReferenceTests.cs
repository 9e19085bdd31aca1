// Parity with the independent plain-torch reference (tools/reference/llava_torch.py, fp32): every stage of the video
// path within 1e-4 relative error, where relative error = max|ours − ref| / max|ref| over the stored values, and the
// greedy tokens identical.
using System.Security.Cryptography;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Generation;
using DyCoke.Model.Llava;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Model.Tests.Llava;

public sealed class LlavaReferenceTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    private const double Tolerance = 1e-4;

    /// <summary>Opt-in: a directory made by tools/reference/random_checkpoint.py for the real 0.5B config, seed 0.</summary>
    private const string RandomHalfBillionVariable = "DYCOKE_LLAVA_05B_RANDOM";

    [Theory]
    [InlineData("llava_demo")]
    [InlineData("llava_demo_f1")]
    public void DemoCheckpoint_IsTheCheckpointTheFixtureWasMadeFrom(string fixture)
    {
        using var reference = ReferenceFixture.Open(fixture);
        // If this fails the demo writer changed: regenerate the fixture (tools/reference/README.md), do not loosen tolerances.
        Assert.Equal(reference.CheckpointSha256, Sha256(Path.Combine(demo.Directory, CheckpointDirectory.SingleFileName)));
    }

    [Theory]
    [InlineData("llava_demo")]
    [InlineData("llava_demo_f1")]
    public void EveryStage_MatchesPlainTorch(string fixture)
    {
        using var reference = ReferenceFixture.Open(fixture);
        using var checkpoint = CheckpointDirectory.Open(demo.Directory);
        AssertStages(reference, LlavaStages.Run(demo.Model, checkpoint, reference));
    }

    [Theory]
    [InlineData("llava_demo")]
    [InlineData("llava_demo_f1")]
    public void Generate_GreedyTokens_EqualPlainTorch(string fixture)
    {
        using var reference = ReferenceFixture.Open(fixture);
        using var pixels = SyntheticFrames.Pixels(reference.NumFrames);
        var request = new GenerationRequest(reference.InputIds, [pixels], reference.MaxNewTokens, reference.StopTokenId);
        var result = new Generator(demo.Model).Generate(request, TestContext.Current.CancellationToken);
        Assert.Equal(reference.GreedyTokens, result.Tokens);
    }

    [Fact]
    public void RealHalfBillionShapes_EveryStageAndGreedyTokens_MatchPlainTorch()
    {
        string? directory = Environment.GetEnvironmentVariable(RandomHalfBillionVariable);
        Assert.SkipWhen(string.IsNullOrEmpty(directory),
            $"set {RandomHalfBillionVariable} to a checkpoint made by tools/reference/random_checkpoint.py (0.5B config, seed 0) to run this");
        using var reference = ReferenceFixture.Open("llava_qwen05b_random");
        Assert.Equal(reference.CheckpointSha256, Sha256(Path.Combine(directory!, CheckpointDirectory.SingleFileName)));
        using var backend = new CpuBackend();
        using var checkpoint = CheckpointDirectory.Open(directory!);
        using var model = LlavaOnevisionModel.Load(checkpoint, backend);
        TestContext.Current.TestOutputHelper?.WriteLine(model.LoadSummary.ToString());

        AssertStages(reference, LlavaStages.Run(model, checkpoint, reference));
        using var pixels = SyntheticFrames.Pixels(reference.NumFrames);
        var request = new GenerationRequest(reference.InputIds, [pixels], reference.MaxNewTokens, reference.StopTokenId);
        Assert.Equal(reference.GreedyTokens, new Generator(model).Generate(request, TestContext.Current.CancellationToken).Tokens);
    }

    private static void AssertStages(ReferenceFixture reference, Dictionary<string, (float[] Values, int LastDim)> ours)
    {
        string[] names = ["pixels_frame0_patch0", "siglip_embed_frame0", "siglip_out_frame0", "projector_out", "pooled", "video_features",
            "inputs_embeds", "layer0_out", "final_norm_out", "last_logits", "forced_step_logits"];
        foreach (string name in names.Where(reference.HasStage))
        {
            var (expected, rows) = reference.Stage(name);
            var (values, lastDim) = ours[name];
            ModelAssert.Close(expected, ReferenceFixture.SelectRows(values, lastDim, rows), Tolerance, $"{Path.GetFileName(reference.Directory)} {name}");
        }
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
