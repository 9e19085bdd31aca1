// config.json of a LLaVA-OneVision checkpoint (SigLIP vision tower + projector + Qwen2), with the Hugging Face
// defaults applied to missing fields (llava-onevision.md §1): hub configs omit some keys and rely on those defaults.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DyCoke.Model.Config;

/// <summary>Qwen2 language model settings (<c>text_config</c>). Missing fields take Qwen2Config's defaults.</summary>
public sealed record Qwen2Config
{
    public int VocabSize { get; init; } = 151936;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 22016;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int NumKeyValueHeads { get; init; } = 32;
    public float RmsNormEps { get; init; } = 1e-6f;
    public double RopeTheta { get; init; } = 10000.0;
    public int MaxPositionEmbeddings { get; init; } = 32768;
    public string HiddenAct { get; init; } = "silu";
    public bool TieWordEmbeddings { get; init; }

    /// <summary>D = C / H (Qwen2 stores no head_dim).</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;
}

/// <summary>SigLIP vision tower settings (<c>vision_config</c>). Missing fields take SiglipVisionConfig's defaults.</summary>
public sealed record SiglipVisionConfig
{
    public int HiddenSize { get; init; } = 768;
    public int IntermediateSize { get; init; } = 3072;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public float LayerNormEps { get; init; } = 1e-6f;
    public string HiddenAct { get; init; } = "gelu_pytorch_tanh";

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Patches per side (27 at 384 px / patch 14).</summary>
    public int GridSize => ImageSize / PatchSize;

    /// <summary>P = patches per frame (729 at 384 px / patch 14).</summary>
    public int NumPatches => GridSize * GridSize;
}

/// <summary>The top-level LLaVA-OneVision config.</summary>
public sealed record LlavaOnevisionConfig
{
    public required Qwen2Config Text { get; init; }
    public required SiglipVisionConfig Vision { get; init; }
    public int ImageTokenIndex { get; init; } = 151646;
    public int VideoTokenIndex { get; init; } = 151647;
    public string ProjectorHiddenAct { get; init; } = "gelu";
    public bool MultimodalProjectorBias { get; init; } = true;
    public int VisionFeatureLayer { get; init; } = -1;
    public string VisionFeatureSelectStrategy { get; init; } = "full";
    public string TorchDtype { get; init; } = "float16";

    /// <summary>Pooled grid side for video frames: ceil(27 / 2) = 14.</summary>
    public int PooledGridSize => (Vision.GridSize + 1) / 2;

    /// <summary>Visual tokens per video frame after pooling (196).</summary>
    public int TokensPerFrame => PooledGridSize * PooledGridSize;

    /// <summary>Reads and validates <paramref name="path"/>; errors name the file and the field.</summary>
    public static LlavaOnevisionConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, null, $"cannot read the config: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    public static LlavaOnevisionConfig Parse(string json, string source = "config.json")
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new CheckpointException(source, null, "the config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(source, null, $"invalid JSON: {e.Message}", e);
        }
        var reader = new ConfigReader(source);
        string? modelType = reader.String(root, "model_type", null);
        if (modelType is not null && modelType != "llava_onevision")
            throw new CheckpointException(source, "model_type", $"expected 'llava_onevision', found '{modelType}'");

        var text = ReadText(reader, reader.Object(root, "text_config"));
        var vision = ReadVision(reader, reader.Object(root, "vision_config"));
        var config = new LlavaOnevisionConfig
        {
            Text = text,
            Vision = vision,
            ImageTokenIndex = reader.Int(root, "image_token_index", 151646),
            VideoTokenIndex = reader.Int(root, "video_token_index", 151647),
            ProjectorHiddenAct = reader.String(root, "projector_hidden_act", "gelu")!,
            MultimodalProjectorBias = reader.Bool(root, "multimodal_projector_bias", true),
            VisionFeatureLayer = reader.Int(root, "vision_feature_layer", -1),
            VisionFeatureSelectStrategy = reader.String(root, "vision_feature_select_strategy", "full")!,
            TorchDtype = reader.String(root, "torch_dtype", null) ?? reader.String(root, "dtype", "float16")!,
        };
        Validate(config, source);
        return config;
    }

    private static Qwen2Config ReadText(ConfigReader r, JsonObject? o)
    {
        var d = new Qwen2Config();
        if (o is null) return d;
        int heads = r.Int(o, "num_attention_heads", d.NumAttentionHeads);
        return new Qwen2Config
        {
            VocabSize = r.Int(o, "vocab_size", d.VocabSize),
            HiddenSize = r.Int(o, "hidden_size", d.HiddenSize),
            IntermediateSize = r.Int(o, "intermediate_size", d.IntermediateSize),
            NumHiddenLayers = r.Int(o, "num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = heads,
            // Qwen2Config: a missing num_key_value_heads means multi-head attention (one kv head per q head).
            NumKeyValueHeads = r.Int(o, "num_key_value_heads", heads),
            RmsNormEps = (float)r.Double(o, "rms_norm_eps", d.RmsNormEps),
            RopeTheta = r.Double(o, "rope_theta", d.RopeTheta),
            MaxPositionEmbeddings = r.Int(o, "max_position_embeddings", d.MaxPositionEmbeddings),
            HiddenAct = r.String(o, "hidden_act", d.HiddenAct)!,
            TieWordEmbeddings = r.Bool(o, "tie_word_embeddings", d.TieWordEmbeddings),
        };
    }

    private static SiglipVisionConfig ReadVision(ConfigReader r, JsonObject? o)
    {
        // LlavaOnevisionConfig builds so400m-patch14-384 minus its last layer when vision_config is absent.
        if (o is null)
            return new SiglipVisionConfig { HiddenSize = 1152, IntermediateSize = 4304, NumHiddenLayers = 26, NumAttentionHeads = 16, ImageSize = 384, PatchSize = 14 };
        var d = new SiglipVisionConfig();
        return new SiglipVisionConfig
        {
            HiddenSize = r.Int(o, "hidden_size", d.HiddenSize),
            IntermediateSize = r.Int(o, "intermediate_size", d.IntermediateSize),
            NumHiddenLayers = r.Int(o, "num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = r.Int(o, "num_attention_heads", d.NumAttentionHeads),
            NumChannels = r.Int(o, "num_channels", d.NumChannels),
            ImageSize = r.Int(o, "image_size", d.ImageSize),
            PatchSize = r.Int(o, "patch_size", d.PatchSize),
            LayerNormEps = (float)r.Double(o, "layer_norm_eps", d.LayerNormEps),
            HiddenAct = r.String(o, "hidden_act", d.HiddenAct)!,
        };
    }

    private static void Validate(LlavaOnevisionConfig c, string source)
    {
        void Require(bool ok, string field, string problem)
        {
            if (!ok) throw new CheckpointException(source, field, problem);
        }
        var t = c.Text;
        var v = c.Vision;
        Require(t.HiddenSize > 0 && t.NumAttentionHeads > 0 && t.HiddenSize % t.NumAttentionHeads == 0,
            "text_config.hidden_size", $"{t.HiddenSize} is not a positive multiple of num_attention_heads {t.NumAttentionHeads}");
        Require(t.NumKeyValueHeads > 0 && t.NumAttentionHeads % t.NumKeyValueHeads == 0,
            "text_config.num_key_value_heads", $"{t.NumKeyValueHeads} does not divide num_attention_heads {t.NumAttentionHeads}");
        Require(t.HeadDim % 2 == 0, "text_config.hidden_size", $"head dim {t.HeadDim} must be even for rotary embeddings");
        Require(t.VocabSize > 0 && t.NumHiddenLayers > 0 && t.IntermediateSize > 0, "text_config", "vocab_size, num_hidden_layers and intermediate_size must be positive");
        Require(t.HiddenAct == "silu", "text_config.hidden_act", $"'{t.HiddenAct}' is not supported (Qwen2 uses 'silu')");
        Require(v.HiddenSize > 0 && v.NumAttentionHeads > 0 && v.HiddenSize % v.NumAttentionHeads == 0,
            "vision_config.hidden_size", $"{v.HiddenSize} is not a positive multiple of num_attention_heads {v.NumAttentionHeads}");
        // The patch conv has stride patch_size and no padding, so it drops a remainder: 384 / 14 gives 27 per side.
        Require(v.PatchSize > 0 && v.ImageSize >= v.PatchSize,
            "vision_config.image_size", $"{v.ImageSize} must be at least patch_size {v.PatchSize} (and both positive)");
        Require(v.NumChannels > 0 && v.NumHiddenLayers > 0 && v.IntermediateSize > 0,
            "vision_config", "num_channels, num_hidden_layers and intermediate_size must be positive");
        Require(v.HiddenAct == "gelu_pytorch_tanh", "vision_config.hidden_act", $"'{v.HiddenAct}' is not supported (SigLIP uses 'gelu_pytorch_tanh')");
        Require(c.ProjectorHiddenAct == "gelu", "projector_hidden_act", $"'{c.ProjectorHiddenAct}' is not supported (LLaVA-OneVision uses 'gelu')");
        Require(c.VisionFeatureSelectStrategy == "full", "vision_feature_select_strategy", $"'{c.VisionFeatureSelectStrategy}' is not supported for video ('full' keeps all patches)");
        Require(c.VisionFeatureLayer == -1 || (c.VisionFeatureLayer >= 0 && c.VisionFeatureLayer <= v.NumHiddenLayers),
            "vision_feature_layer", $"{c.VisionFeatureLayer} must be -1 or a layer index in [0, {v.NumHiddenLayers}]");
        Require(c.VideoTokenIndex >= 0 && c.VideoTokenIndex < t.VocabSize, "video_token_index", $"{c.VideoTokenIndex} is outside the vocabulary of {t.VocabSize}");
    }
}
