// The demo checkpoint's architecture: LLaVA-OneVision 0.5B's layout and geometry (384 px, patch 14, 27×27 patches
// pooled to 14×14, GQA, tied head) with tiny widths, and its config.json in the form transformers writes it.
using System.Text.Json.Nodes;
using DyCoke.Model.Config;

namespace DyCoke.Model.Demo;

internal static class DemoModelConfig
{
    /// <summary>The converter pads the embedding to a multiple of 64 rows; the demo does the same.</summary>
    public const int VocabMultiple = 64;

    /// <summary>
    /// The demo config for a tokenizer with <paramref name="numIds"/> ids. Text: 4 layers so DyCoke's pruning layer
    /// (L = 3) exists; 4 query heads over 2 kv heads (GQA); intermediate 192 and vision intermediate 128 differ on
    /// purpose, so a swapped width fails loudly. Vision: 2 layers, 2 heads of 32, the real image and patch size.
    /// </summary>
    public static LlavaOnevisionConfig Create(int numIds, SpecialTokenIds ids)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numIds);
        int vocabSize = checked((numIds + VocabMultiple - 1) / VocabMultiple * VocabMultiple);
        return new LlavaOnevisionConfig
        {
            Text = new Qwen2Config
            {
                VocabSize = vocabSize,
                HiddenSize = 64,
                IntermediateSize = 192,
                NumHiddenLayers = 4,
                NumAttentionHeads = 4,
                NumKeyValueHeads = 2,
                RmsNormEps = 1e-6f,
                RopeTheta = 1_000_000.0,
                MaxPositionEmbeddings = 32768,
                HiddenAct = "silu",
                TieWordEmbeddings = true,
            },
            Vision = new SiglipVisionConfig
            {
                HiddenSize = 64,
                IntermediateSize = 128,
                NumHiddenLayers = 2,
                NumAttentionHeads = 2,
                NumChannels = 3,
                ImageSize = 384,
                PatchSize = 14,
                LayerNormEps = 1e-6f,
                HiddenAct = "gelu_pytorch_tanh",
            },
            ImageTokenIndex = ids.Image,
            VideoTokenIndex = ids.Video,
            ProjectorHiddenAct = "gelu",
            MultimodalProjectorBias = true,
            VisionFeatureLayer = -1,
            VisionFeatureSelectStrategy = "full",
            TorchDtype = "float16",
        };
    }

    /// <summary>
    /// config.json for <paramref name="config"/>: every field the hub's 0.5B config has (model types, architectures,
    /// anyres pinpoints for the image path, newline parameter), with the values our loader reads written explicitly.
    /// </summary>
    public static byte[] ToJson(LlavaOnevisionConfig config, SpecialTokenIds ids)
    {
        var t = config.Text;
        var v = config.Vision;
        var text = new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
            ["attention_dropout"] = 0.0,
            ["bos_token_id"] = ids.EndOfText,
            ["eos_token_id"] = ids.ImEnd,
            ["hidden_act"] = t.HiddenAct,
            ["hidden_size"] = t.HiddenSize,
            ["initializer_range"] = 0.02,
            ["intermediate_size"] = t.IntermediateSize,
            ["max_position_embeddings"] = t.MaxPositionEmbeddings,
            ["max_window_layers"] = t.NumHiddenLayers,
            ["model_type"] = "qwen2",
            ["num_attention_heads"] = t.NumAttentionHeads,
            ["num_hidden_layers"] = t.NumHiddenLayers,
            ["num_key_value_heads"] = t.NumKeyValueHeads,
            ["rms_norm_eps"] = t.RmsNormEps,
            ["rope_scaling"] = null,
            ["rope_theta"] = t.RopeTheta,
            ["sliding_window"] = null,
            ["tie_word_embeddings"] = t.TieWordEmbeddings,
            ["torch_dtype"] = config.TorchDtype,
            ["use_cache"] = true,
            ["use_sliding_window"] = false,
            ["vocab_size"] = t.VocabSize,
        };
        var vision = new JsonObject
        {
            ["hidden_act"] = v.HiddenAct,
            ["hidden_size"] = v.HiddenSize,
            ["image_size"] = v.ImageSize,
            ["intermediate_size"] = v.IntermediateSize,
            ["layer_norm_eps"] = v.LayerNormEps,
            ["model_type"] = "siglip_vision_model",
            ["num_attention_heads"] = v.NumAttentionHeads,
            ["num_channels"] = v.NumChannels,
            ["num_hidden_layers"] = v.NumHiddenLayers,
            ["patch_size"] = v.PatchSize,
            ["vision_use_head"] = false,
        };
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaOnevisionForConditionalGeneration"),
            ["ignore_index"] = -100,
            ["image_grid_pinpoints"] = ImageGridPinpoints(v.ImageSize),
            ["image_token_index"] = config.ImageTokenIndex,
            ["model_type"] = "llava_onevision",
            ["multimodal_projector_bias"] = config.MultimodalProjectorBias,
            ["projector_hidden_act"] = config.ProjectorHiddenAct,
            ["text_config"] = text,
            // The top-level flag is false on the hub too; tying is text_config's decision (llava-onevision.md §1.1).
            ["tie_word_embeddings"] = false,
            ["torch_dtype"] = config.TorchDtype,
            ["use_image_newline_parameter"] = true,
            ["video_token_index"] = config.VideoTokenIndex,
            ["vision_aspect_ratio"] = "anyres_max_9",
            ["vision_config"] = vision,
            ["vision_feature_layer"] = config.VisionFeatureLayer,
            ["vision_feature_select_strategy"] = config.VisionFeatureSelectStrategy,
        };
        return HfJson.WriteSorted(root);
    }

    /// <summary>The anyres grid: every (h, w) with h, w in {1..6} × the image size (36 pairs, 384..2304 at 384 px).</summary>
    public static JsonArray ImageGridPinpoints(int imageSize)
    {
        var pairs = new JsonArray();
        for (int h = 1; h <= 6; h++)
            for (int w = 1; w <= 6; w++)
                pairs.Add((JsonNode)new JsonArray(h * imageSize, w * imageSize)); // the JsonNode overload: Add<T> is not trim-safe
        return pairs;
    }
}
