// Reference mode against the plain-torch port of the official DyCoke code (tools/reference/dycoke_reference.py) on the
// demo checkpoint, 8 frames: the kept TTM rows, every decode step's DP decision and the greedy tokens are equal.
// Two fixtures: the official gate 0.9 (stable attention: steps after the first run unpruned) and gate 1.0 (every
// step re-selects, so the top-k is compared at every step).
using System.Security.Cryptography;
using System.Text.Json;
using DyCoke.Compression;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Generation;
using DyCoke.Model.Llava;
using Xunit;

namespace DyCoke.Model.Tests.Compression;

public sealed class DyCokeReferenceTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Theory]
    [InlineData("dycoke_reference.json")]
    [InlineData("dycoke_reference_gate1.json")]
    public void Generate_ReferenceMode_TtmRowsDpStepsAndTokensEqualThePort(string fixture)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "dycoke_demo", fixture)));
        var root = json.RootElement;
        // If this fails the demo writer changed: regenerate the fixture (command in the fixture), do not relax the test.
        Assert.Equal(root.GetProperty("checkpoint_sha256").GetString(), Sha256(Path.Combine(demo.Directory, CheckpointDirectory.SingleFileName)));
        var options = new DyCokeOptions
        {
            Mode = DyCokeMode.Reference,
            K = root.GetProperty("k").GetDouble(),
            L = root.GetProperty("l").GetInt32(),
            P = root.GetProperty("p").GetDouble(),
            Gate = root.GetProperty("gate").GetDouble(),
        };
        int frames = root.GetProperty("frames").GetInt32();
        using var pixels = SyntheticFrames.Pixels(frames); // [F, 3, 384, 384]

        using (var features = demo.Model.EncodeVideo(pixels)) // [F·196 + 1, C]
        {
            var merged = VideoTokenMerging.Merge(demo.Backend, features, demo.Model.Config.TokensPerFrame, options);
            merged.Features.Dispose();
            Assert.Equal(Ints(root.GetProperty("ttm_kept_rows")), merged.KeptRows);
        }

        var steps = new List<DyCokeStep>();
        var request = new GenerationRequest(Ints(root.GetProperty("input_ids_expanded")), [pixels], root.GetProperty("max_new_tokens").GetInt32(),
            root.GetProperty("stop_token_id").GetInt32(), options, steps.Add);
        var result = new Generator(demo.Model).Generate(request, TestContext.Current.CancellationToken);

        Assert.Equal(root.GetProperty("input_ids_compressed").GetArrayLength(), result.PromptTokens);
        var expectedSteps = root.GetProperty("dp_steps").EnumerateArray().ToArray();
        Assert.Equal(expectedSteps.Length, steps.Count);
        for (int i = 0; i < steps.Count; i++)
        {
            Assert.Equal(expectedSteps[i].GetProperty("pruned").GetBoolean(), steps[i].Pruned);
            var kept = expectedSteps[i].GetProperty("kept");
            Assert.Equal(kept.ValueKind == JsonValueKind.Null ? null : Ints(kept), steps[i].KeptSpanIndices);
        }
        Assert.Equal(Ints(root.GetProperty("tokens")), result.Tokens);
        Assert.NotNull(result.DyCoke);
        Assert.Equal((frames * 196, root.GetProperty("ttm_kept_rows").GetArrayLength()), (result.DyCoke.VideoTokensBefore, result.DyCoke.VideoTokensAfter));
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
