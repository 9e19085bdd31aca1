// CheckpointDirectory on tiny LLaVA-OneVision checkpoints: both naming schemes and sharding load to the same canonical
// tensors, the tied head falls back to embed_tokens, and every way a directory can be unusable names the path at fault.
using System.Text.Json.Nodes;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Model.Tests;

public sealed class CheckpointDirectoryTests
{
    private const string EmbedTokens = WeightMap.TextPrefix + "embed_tokens.weight";

    private static readonly string s_qProj0 = WeightMap.TextLayer(0, "self_attn.q_proj.weight");

    [Theory]
    [InlineData(WeightNaming.Legacy, 1)]
    [InlineData(WeightNaming.Transformers452, 1)]
    [InlineData(WeightNaming.Legacy, 3)]
    [InlineData(WeightNaming.Transformers452, 2)]
    public void Open_EitherSchemeOrSharding_ExposesCanonicalNamesAndValues(WeightNaming naming, int shards)
    {
        using var dir = new TempDirectory();
        TestCheckpoints.WriteTiny(dir.Path, tied: true, naming, shards);
        var expected = WeightMap.Expected(TestCheckpoints.TinyConfig(tied: true)).Where(s => s.Name != WeightMap.LmHead).ToList();

        using var checkpoint = CheckpointDirectory.Open(dir.Path);

        Assert.Equal(naming, checkpoint.Naming);
        Assert.Equal(shards, checkpoint.Files.Count);
        Assert.Equal(shards == 1 ? dir.File("model.safetensors") : dir.File("model.safetensors.index.json"), checkpoint.WeightsPath);
        Assert.Equal(expected.Select(s => s.Name).Order(StringComparer.Ordinal), checkpoint.CanonicalNames.Order(StringComparer.Ordinal));
        Assert.Empty(checkpoint.UnexpectedTensors);
        foreach (var spec in expected)
        {
            var tensor = checkpoint.GetTensor(spec.Name); // spec.Shape
            Assert.Equal(new Shape(spec.Shape), tensor.Shape);
            float[] values = tensor.ToFloatArray();
            for (int i = 0; i < values.Length; i++) Assert.Equal(TestCheckpoints.ValueOf(spec.Name, i), values[i]);
        }
    }

    [Fact]
    public void Open_BothSchemes_GiveIdenticalCanonicalTensors()
    {
        using var dir = new TempDirectory();
        string legacyDir = dir.Subdirectory("legacy");
        string modernDir = dir.Subdirectory("modern");
        TestCheckpoints.WriteTiny(legacyDir, tied: false, WeightNaming.Legacy);
        TestCheckpoints.WriteTiny(modernDir, tied: false, WeightNaming.Transformers452);

        using var legacy = CheckpointDirectory.Open(legacyDir);
        using var modern = CheckpointDirectory.Open(modernDir);

        Assert.Equal(legacy.CanonicalNames.Order(StringComparer.Ordinal), modern.CanonicalNames.Order(StringComparer.Ordinal));
        Assert.Contains("lm_head.weight", modern.Files[0].Names);
        Assert.Contains(WeightMap.LmHead, legacy.Files[0].Names);
        foreach (string name in legacy.CanonicalNames)
            Assert.Equal(legacy.GetTensor(name).ToFloatArray(), modern.GetTensor(name).ToFloatArray());
    }

    [Fact]
    public void GetLmHead_TiedWithoutHeadTensor_ReturnsEmbedTokens()
    {
        using var dir = new TempDirectory();
        TestCheckpoints.WriteTiny(dir.Path, tied: true, WeightNaming.Legacy);

        using var checkpoint = CheckpointDirectory.Open(dir.Path);

        Assert.False(checkpoint.Contains(WeightMap.LmHead));
        Assert.Equal(checkpoint.GetTensor(EmbedTokens).Pointer, checkpoint.GetLmHead().Pointer);
    }

    [Fact]
    public void GetLmHead_Untied_ReturnsTheStoredHead()
    {
        using var dir = new TempDirectory();
        TestCheckpoints.WriteTiny(dir.Path, tied: false, WeightNaming.Transformers452);

        using var checkpoint = CheckpointDirectory.Open(dir.Path);
        var head = checkpoint.GetLmHead(); // [V, C]

        Assert.Equal(checkpoint.GetTensor(WeightMap.LmHead).Pointer, head.Pointer);
        Assert.NotEqual(checkpoint.GetTensor(EmbedTokens).ToFloatArray(), head.ToFloatArray());
        Assert.Equal(new Shape(32, 8), head.Shape);
    }

    [Theory]
    [InlineData(WeightNaming.Legacy, "language_model.lm_head.weight")]
    [InlineData(WeightNaming.Transformers452, "lm_head.weight")]
    public void Open_UntiedWithoutHead_NamesMissingTensorAndScheme(WeightNaming naming, string storedName)
    {
        using var dir = new TempDirectory();
        var config = TestCheckpoints.TinyConfig(tied: false);
        TestCheckpoints.WriteDirectory(dir.Path, TestCheckpoints.TinyConfigJson(tied: false),
            TestCheckpoints.Entries(config, naming, spec => spec.Name != WeightMap.LmHead));

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.Equal(dir.File("model.safetensors"), e.File);
        Assert.Equal(storedName, e.Item);
        Assert.Contains($"required tensor is missing (names read with the {naming} scheme", e.Message);
    }

    [Fact]
    public void Open_SeveralMissing_NamesFirstAndCountsTheRest()
    {
        using var dir = new TempDirectory();
        var config = TestCheckpoints.TinyConfig(tied: true);
        TestCheckpoints.WriteDirectory(dir.Path, TestCheckpoints.TinyConfigJson(tied: true),
            TestCheckpoints.Entries(config, WeightNaming.Legacy, spec => !spec.Name.Contains("layers.1.", StringComparison.Ordinal)));

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.Equal(WeightMap.VisionLayer(1, "layer_norm1.weight"), e.Item);
        // Layer 1 holds 16 vision and 12 text tensors.
        Assert.Contains("27 more required tensors are missing too", e.Message);
    }

    [Fact]
    public void Open_WrongShape_NamesFileTensorAndBothShapes()
    {
        using var dir = new TempDirectory();
        var entries = TestCheckpoints.Entries(TestCheckpoints.TinyConfig(tied: true), WeightNaming.Transformers452);
        string stored = WeightMap.FromCanonical(s_qProj0, WeightNaming.Transformers452);
        int i = entries.FindIndex(e => e.Name == stored);
        entries[i] = entries[i] with { Shape = [4, 16] };
        TestCheckpoints.WriteDirectory(dir.Path, TestCheckpoints.TinyConfigJson(tied: true), entries, shards: 2);

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.EndsWith(".safetensors", e.File);
        Assert.StartsWith(dir.Path, e.File);
        Assert.Equal("model.language_model.layers.0.self_attn.q_proj.weight", e.Item);
        Assert.Contains("expected shape [8, 8] (from config.json), found [4, 16]", e.Message);
    }

    [Fact]
    public void Open_IntegerWeight_Throws()
    {
        using var dir = new TempDirectory();
        var entries = TestCheckpoints.Entries(TestCheckpoints.TinyConfig(tied: true), WeightNaming.Legacy);
        int i = entries.FindIndex(e => e.Name == s_qProj0);
        entries[i] = entries[i] with { DType = DType.I32, Data = new byte[8 * 8 * 4] };
        TestCheckpoints.WriteDirectory(dir.Path, TestCheckpoints.TinyConfigJson(tied: true), entries);

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.Equal(s_qProj0, e.Item);
        Assert.Contains("dtype I32 is not a float type", e.Message);
    }

    [Fact]
    public void Open_ExtraTensorsAndNoPostLayerNorm_OpensAndListsExtras()
    {
        using var dir = new TempDirectory();
        var config = TestCheckpoints.TinyConfig(tied: true);
        var entries = TestCheckpoints.Entries(config, WeightNaming.Legacy, spec => spec.Optional == false);
        entries.Add(new SafeTensorsEntry("vision_tower.vision_model.head.probe", DType.F16, [1, 1, 8], new byte[16]));
        TestCheckpoints.WriteDirectory(dir.Path, TestCheckpoints.TinyConfigJson(tied: true), entries);

        using var checkpoint = CheckpointDirectory.Open(dir.Path);

        Assert.Equal(["vision_tower.vision_model.head.probe"], checkpoint.UnexpectedTensors);
        Assert.False(checkpoint.Contains(WeightMap.VisionPrefix + "post_layernorm.weight"));
    }

    [Fact]
    public void Open_BothSchemesForOneTensor_Throws()
    {
        using var dir = new TempDirectory();
        var entries = TestCheckpoints.Entries(TestCheckpoints.TinyConfig(tied: true), WeightNaming.Legacy);
        entries.Add(new SafeTensorsEntry("model.image_newline", DType.F16, [8], new byte[16]));
        TestCheckpoints.WriteDirectory(dir.Path, TestCheckpoints.TinyConfigJson(tied: true), entries);

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.Contains("'image_newline'", e.Message);
        Assert.Contains("mixes both naming schemes", e.Message);
    }

    [Fact]
    public void GetTensor_Absent_NamesTensorInTheCheckpointsScheme()
    {
        using var dir = new TempDirectory();
        TestCheckpoints.WriteTiny(dir.Path, tied: true, WeightNaming.Transformers452);
        using var checkpoint = CheckpointDirectory.Open(dir.Path);

        var e = Assert.Throws<CheckpointException>(() => checkpoint.GetTensor(WeightMap.LmHead));

        Assert.Equal("lm_head.weight", e.Item);
    }

    [Fact]
    public void Open_HubSizedSparseCheckpoint_ValidatesAndMapsTheLastTensor()
    {
        using var dir = new TempDirectory();
        File.Copy(LlavaOnevisionConfigTests.FixturePath("llava-onevision-qwen2-0.5b-ov.config.json"), dir.File("config.json"));
        var config = LlavaOnevisionConfig.Load(dir.File("config.json"));
        var specs = WeightMap.Expected(config).Where(s => s.Name != WeightMap.LmHead).ToList();
        long length = TestCheckpoints.WriteSparse(dir.File("model.safetensors"), specs.Select(s => (s.Name, s.Shape)));

        using var checkpoint = CheckpointDirectory.Open(dir.Path);
        var norm = checkpoint.GetTensor(WeightMap.TextPrefix + "norm.weight"); // [C], the last bytes of the file

        // 893,675,552 F16 parameters, as published for the 0.5B hub file, plus the header.
        Assert.InRange(length - 2 * 893_675_552L, 8, 200_000);
        Assert.Equal(716, checkpoint.CanonicalNames.Count);
        Assert.Equal(WeightNaming.Legacy, checkpoint.Naming);
        Assert.Equal(new Shape(152000, 896), checkpoint.GetLmHead().Shape);
        Assert.All(norm.ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Open_MissingDirectory_NamesIt()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nowhere");

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(missing));

        Assert.Equal(missing, e.File);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Open_PathIsAFile_Throws()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), "{}");

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.File("config.json")));

        Assert.Contains("is a file, not a checkpoint directory", e.Message);
    }

    [Fact]
    public void Open_NoConfig_NamesConfigPath()
    {
        using var dir = new TempDirectory();
        TestCheckpoints.WriteTiny(dir.Path, tied: true, WeightNaming.Legacy);
        File.Delete(dir.File("config.json"));

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.Equal(dir.File("config.json"), e.File);
        Assert.Contains("config.json is missing", e.Message);
    }

    [Fact]
    public void Open_NoWeights_NamesDirectoryAndBothFileNames()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), TestCheckpoints.TinyConfigJson(tied: true));

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.Equal(dir.Path, e.File);
        Assert.Contains("neither model.safetensors nor model.safetensors.index.json exists", e.Message);
    }

    [Fact]
    public void Open_BadConfigField_NamesConfigAndField()
    {
        using var dir = new TempDirectory();
        TestCheckpoints.WriteTiny(dir.Path, tied: true, WeightNaming.Legacy);
        var json = JsonNode.Parse(TestCheckpoints.TinyConfigJson(tied: true))!;
        json["text_config"]!["hidden_size"] = "8";
        File.WriteAllText(dir.File("config.json"), json.ToJsonString());

        var e = Assert.Throws<CheckpointException>(() => CheckpointDirectory.Open(dir.Path));

        Assert.Equal(dir.File("config.json"), e.File);
        Assert.Equal("text_config.hidden_size", e.Item);
    }
}
