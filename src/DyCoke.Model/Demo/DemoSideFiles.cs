// The small JSON files around the weights: image and video preprocessor configs, processor_config.json,
// chat_template.json and generation_config.json, as LLaVA-OneVision's hub directory has them (llava-onevision.md §1.4),
// plus the README that tells people the demo model's answers are meaningless.
using System.Text;
using System.Text.Json.Nodes;
using DyCoke.Model.Config;

namespace DyCoke.Model.Demo;

internal static class DemoSideFiles
{
    /// <summary>The README's first line; <see cref="DemoModelWriter"/> recognises an earlier demo directory by it.</summary>
    public const string ReadmeTitle = "# DyCoke demo model (tiny, random weights)";

    /// <summary>video_processor/preprocessor_config.json: squash to 384×384 bicubic, x/255, mean and std 0.5.</summary>
    public static byte[] VideoPreprocessorConfig(LlavaOnevisionConfig config)
    {
        var json = CommonPreprocessing(config);
        json["image_processor_type"] = "LlavaOnevisionVideoProcessor";
        return HfJson.WriteSorted(json);
    }

    /// <summary>
    /// preprocessor_config.json (the image processor). Transformers falls back to it for video when the
    /// video_processor folder is missing, so it carries the same normalisation.
    /// </summary>
    public static byte[] ImagePreprocessorConfig(LlavaOnevisionConfig config)
    {
        var json = CommonPreprocessing(config);
        json["do_pad"] = true;
        json["image_grid_pinpoints"] = DemoModelConfig.ImageGridPinpoints(config.Vision.ImageSize);
        json["image_processor_type"] = "LlavaOnevisionImageProcessor";
        return HfJson.WriteSorted(json);
    }

    /// <summary>processor_config.json: the placeholder strings and the per-image token count (27² = 729).</summary>
    public static byte[] ProcessorConfig(LlavaOnevisionConfig config) => HfJson.WriteSorted(new JsonObject
    {
        ["image_token"] = SpecialTokens.Image,
        ["num_image_tokens"] = config.Vision.NumPatches,
        ["patch_size"] = config.Vision.PatchSize,
        ["processor_class"] = "LlavaOnevisionProcessor",
        ["video_token"] = SpecialTokens.Video,
        ["vision_feature_select_strategy"] = config.VisionFeatureSelectStrategy,
    });

    /// <summary>chat_template.json: the processor's template, which takes precedence over the tokenizer's.</summary>
    public static byte[] ChatTemplate() => HfJson.WriteSorted(new JsonObject { ["chat_template"] = DyCoke.Model.Text.KnownChatTemplates.LlavaOnevision });

    /// <summary>generation_config.json: only BOS and EOS, so generation defaults to greedy (llava-onevision.md §7).</summary>
    public static byte[] GenerationConfig(SpecialTokenIds ids) => HfJson.WriteSorted(new JsonObject
    {
        ["bos_token_id"] = ids.EndOfText,
        ["eos_token_id"] = ids.ImEnd,
    });

    /// <summary>README.md: what the directory is, and that its answers mean nothing.</summary>
    public static byte[] Readme(LlavaOnevisionConfig config, ulong seed, bool ownTokenizer, int numTensors, long numParameters)
    {
        var t = config.Text;
        var v = config.Vision;
        string tokenizer = ownTokenizer
            ? "a small byte-level BPE tokenizer learned from a built-in English text"
            : "a tokenizer.json supplied with --tokenizer";
        var sb = new StringBuilder();
        sb.Append(ReadmeTitle).Append('\n');
        sb.Append('\n');
        sb.Append("This directory is a LLaVA-OneVision checkpoint in Hugging Face format, written by\n");
        sb.Append("`dycoke-server make-demo-model`. Its weights are random numbers drawn from a fixed seed:\n");
        sb.Append("**the model's answers mean nothing.** It exists so that the server, its tests and its demos can\n");
        sb.Append("run the whole path (video frames, vision tower, projector, language model, streaming) on any machine.\n");
        sb.Append('\n');
        sb.Append("| what | value |\n| --- | --- |\n");
        sb.Append($"| seed | {seed} |\n");
        sb.Append($"| tensors / parameters | {numTensors} / {numParameters} (float16, model.safetensors) |\n");
        sb.Append($"| vision tower | SigLIP, {v.NumHiddenLayers} layers, hidden {v.HiddenSize}, {v.NumAttentionHeads} heads, {v.ImageSize} px, patch {v.PatchSize} |\n");
        sb.Append($"| language model | Qwen2, {t.NumHiddenLayers} layers, hidden {t.HiddenSize}, {t.NumAttentionHeads} heads / {t.NumKeyValueHeads} kv heads, vocabulary {t.VocabSize}, tied head |\n");
        sb.Append($"| tokenizer | {tokenizer} |\n");
        sb.Append('\n');
        sb.Append("The same seed and tokenizer always give byte-identical files.\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static JsonObject CommonPreprocessing(LlavaOnevisionConfig config) => new()
    {
        ["do_convert_rgb"] = true,
        ["do_normalize"] = true,
        ["do_rescale"] = true,
        ["do_resize"] = true,
        ["image_mean"] = new JsonArray(0.5, 0.5, 0.5),
        ["image_std"] = new JsonArray(0.5, 0.5, 0.5),
        ["processor_class"] = "LlavaOnevisionProcessor",
        // PIL's BICUBIC.
        ["resample"] = 3,
        ["rescale_factor"] = 1.0 / 255.0,
        ["size"] = new JsonObject { ["height"] = config.Vision.ImageSize, ["width"] = config.Vision.ImageSize },
    };
}
