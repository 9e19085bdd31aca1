// LlavaOnevisionConfig: the reconstructed 0.5B and 7B hub configs parse to the documented values, missing keys take
// the transformers defaults, and wrong JSON types or unsupported settings fail naming config.json and the field.
using DyCoke.Model.Config;
using Xunit;

namespace DyCoke.Model.Tests;

public sealed class LlavaOnevisionConfigTests
{
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "configs", name);

    public static LlavaOnevisionConfig LoadFixture(string size) => LlavaOnevisionConfig.Load(FixturePath($"llava-onevision-qwen2-{size}-ov.config.json"));

    [Fact]
    public void Load_HalfBillionFixture_MatchesDocumentedValues()
    {
        var c = LoadFixture("0.5b");

        var t = c.Text;
        Assert.Equal((896, 24, 14, 2, 64, 4864), (t.HiddenSize, t.NumHiddenLayers, t.NumAttentionHeads, t.NumKeyValueHeads, t.HeadDim, t.IntermediateSize));
        Assert.Equal(152000, t.VocabSize);
        Assert.Equal(1e-6f, t.RmsNormEps);
        Assert.Equal(1_000_000.0, t.RopeTheta);
        Assert.Equal(32768, t.MaxPositionEmbeddings);
        Assert.Equal("silu", t.HiddenAct);
        Assert.True(t.TieWordEmbeddings);
        AssertSo400mMinusOneLayer(c.Vision);
        AssertTopLevel(c);
    }

    [Fact]
    public void Load_SevenBillionFixture_MatchesDocumentedValuesAndFillsDroppedKeys()
    {
        var c = LoadFixture("7b");

        var t = c.Text;
        Assert.Equal((3584, 28, 28, 4, 128, 18944), (t.HiddenSize, t.NumHiddenLayers, t.NumAttentionHeads, t.NumKeyValueHeads, t.HeadDim, t.IntermediateSize));
        Assert.Equal(152128, t.VocabSize);
        Assert.Equal(1_000_000.0, t.RopeTheta);
        Assert.False(t.TieWordEmbeddings);
        // The fixture omits these three; Qwen2Config's defaults apply.
        Assert.Equal(1e-6f, t.RmsNormEps);
        Assert.Equal(32768, t.MaxPositionEmbeddings);
        Assert.Equal("silu", t.HiddenAct);
        AssertSo400mMinusOneLayer(c.Vision);
        AssertTopLevel(c);
    }

    private static void AssertSo400mMinusOneLayer(SiglipVisionConfig v)
    {
        Assert.Equal((1152, 26, 16, 72, 4304), (v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.HeadDim, v.IntermediateSize));
        Assert.Equal((384, 14, 3), (v.ImageSize, v.PatchSize, v.NumChannels));
        Assert.Equal(27, v.GridSize);
        Assert.Equal(729, v.NumPatches);
        Assert.Equal(1e-6f, v.LayerNormEps);
        Assert.Equal("gelu_pytorch_tanh", v.HiddenAct);
    }

    private static void AssertTopLevel(LlavaOnevisionConfig c)
    {
        Assert.Equal(151646, c.ImageTokenIndex);
        Assert.Equal(151647, c.VideoTokenIndex);
        Assert.Equal("gelu", c.ProjectorHiddenAct);
        Assert.True(c.MultimodalProjectorBias);
        Assert.Equal(-1, c.VisionFeatureLayer);
        Assert.Equal("full", c.VisionFeatureSelectStrategy);
        Assert.Equal("float16", c.TorchDtype);
        Assert.Equal(14, c.PooledGridSize);
        Assert.Equal(196, c.TokensPerFrame);
    }

    [Fact]
    public void Parse_EmptyObject_UsesTransformersDefaults()
    {
        var c = LlavaOnevisionConfig.Parse("{}");

        // Qwen2Config() defaults, including num_key_value_heads falling back to num_attention_heads.
        Assert.Equal((151936, 4096, 22016, 32, 32, 32), (c.Text.VocabSize, c.Text.HiddenSize, c.Text.IntermediateSize,
            c.Text.NumHiddenLayers, c.Text.NumAttentionHeads, c.Text.NumKeyValueHeads));
        Assert.Equal(10000.0, c.Text.RopeTheta);
        Assert.False(c.Text.TieWordEmbeddings);
        // LlavaOnevisionConfig builds SigLIP so400m minus its last layer when vision_config is absent.
        AssertSo400mMinusOneLayer(c.Vision);
        AssertTopLevel(c);
    }

    [Fact]
    public void Parse_NoKeyValueHeads_MeansOnePerQueryHead()
    {
        var c = LlavaOnevisionConfig.Parse("""{"text_config": {"hidden_size": 64, "num_attention_heads": 4}}""");

        Assert.Equal(4, c.Text.NumKeyValueHeads);
        Assert.Equal(16, c.Text.HeadDim);
    }

    [Fact]
    public void Parse_NullValue_CountsAsAbsent()
    {
        var c = LlavaOnevisionConfig.Parse("""{"text_config": {"rms_norm_eps": null, "hidden_act": null}, "torch_dtype": null, "dtype": "bfloat16"}""");

        Assert.Equal(1e-6f, c.Text.RmsNormEps);
        Assert.Equal("silu", c.Text.HiddenAct);
        Assert.Equal("bfloat16", c.TorchDtype);
    }

    [Theory]
    [InlineData("""{"text_config": {"hidden_size": "896"}}""", "text_config.hidden_size", "expected an integer, found \"896\"")]
    [InlineData("""{"text_config": {"num_hidden_layers": 2.5}}""", "text_config.num_hidden_layers", "expected an integer, found 2.5")]
    [InlineData("""{"text_config": {"rms_norm_eps": "1e-6"}}""", "text_config.rms_norm_eps", "expected a number")]
    [InlineData("""{"text_config": {"tie_word_embeddings": "yes"}}""", "text_config.tie_word_embeddings", "expected true or false")]
    [InlineData("""{"text_config": {"hidden_act": 1}}""", "text_config.hidden_act", "expected a string, found 1")]
    [InlineData("""{"vision_config": {"image_size": true}}""", "vision_config.image_size", "expected an integer, found true")]
    [InlineData("""{"text_config": [1]}""", "text_config", "expected an object, found [1]")]
    [InlineData("""{"video_token_index": {}}""", "video_token_index", "expected an integer, found {}")]
    [InlineData("""{"multimodal_projector_bias": 1}""", "multimodal_projector_bias", "expected true or false, found 1")]
    public void Parse_WrongJsonType_NamesTheField(string json, string field, string problem)
    {
        var e = Assert.Throws<CheckpointException>(() => LlavaOnevisionConfig.Parse(json, "/models/x/config.json"));

        Assert.Equal("/models/x/config.json", e.File);
        Assert.Equal(field, e.Item);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("""{"model_type": "llava"}""", "model_type")]
    [InlineData("""{"text_config": {"hidden_size": 100, "num_attention_heads": 7}}""", "text_config.hidden_size")]
    [InlineData("""{"text_config": {"num_key_value_heads": 5}}""", "text_config.num_key_value_heads")]
    [InlineData("""{"text_config": {"hidden_act": "gelu"}}""", "text_config.hidden_act")]
    [InlineData("""{"vision_config": {"image_size": 10, "patch_size": 14}}""", "vision_config.image_size")]
    [InlineData("""{"vision_feature_select_strategy": "default"}""", "vision_feature_select_strategy")]
    [InlineData("""{"projector_hidden_act": "relu"}""", "projector_hidden_act")]
    [InlineData("""{"video_token_index": 200000}""", "video_token_index")]
    public void Parse_UnsupportedValue_NamesTheField(string json, string field)
    {
        var e = Assert.Throws<CheckpointException>(() => LlavaOnevisionConfig.Parse(json));

        Assert.Equal(field, e.Item);
        Assert.StartsWith("config.json: ", e.Message);
    }

    [Theory]
    [InlineData("{\"text_config\": ")]
    [InlineData("[]")]
    public void Parse_NotAJsonObject_Throws(string json)
    {
        var e = Assert.Throws<CheckpointException>(() => LlavaOnevisionConfig.Parse(json, "cfg.json"));

        Assert.Equal("cfg.json", e.File);
        Assert.Null(e.Item);
    }

    [Fact]
    public void Load_MissingFile_NamesPath()
    {
        string path = FixturePath("no-such.config.json");

        var e = Assert.Throws<CheckpointException>(() => LlavaOnevisionConfig.Load(path));

        Assert.Equal(path, e.File);
        Assert.Contains("cannot read the config", e.Message);
    }
}
