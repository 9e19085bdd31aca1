// The only place that knows Hugging Face tensor names. Canonical names are the legacy scheme the hub files use
// (llava-onevision.md §2.2); checkpoints re-saved by transformers ≥ 4.52 use other prefixes and map onto them here.
using DyCoke.Model.Config;

namespace DyCoke.Model.Checkpoints;

/// <summary>A tensor a LLaVA-OneVision checkpoint must (or may) hold: canonical name and expected shape.</summary>
public sealed record WeightSpec(string Name, long[] Shape, bool Optional = false);

/// <summary>Which prefix scheme a checkpoint's tensor names use.</summary>
public enum WeightNaming
{
    /// <summary>Hub files written by transformers 4.45: <c>language_model.model.*</c>, <c>vision_tower.*</c>.</summary>
    Legacy,
    /// <summary>Files saved by transformers ≥ 4.52: <c>model.language_model.*</c>, <c>model.vision_tower.*</c>, <c>lm_head.weight</c>.</summary>
    Transformers452,
}

public static class WeightMap
{
    public const string VisionPrefix = "vision_tower.vision_model.";
    public const string ProjectorPrefix = "multi_modal_projector.";
    public const string ImageNewline = "image_newline";
    public const string TextPrefix = "language_model.model.";
    public const string LmHead = "language_model.lm_head.weight";

    // (legacy prefix, transformers ≥ 4.52 prefix); LmHead and ImageNewline are whole names.
    private static readonly (string Legacy, string Modern)[] s_prefixes =
    [
        (VisionPrefix, "model.vision_tower.vision_model."),
        (ProjectorPrefix, "model.multi_modal_projector."),
        (TextPrefix, "model.language_model."),
        (LmHead, "lm_head.weight"),
        (ImageNewline, "model.image_newline"),
    ];

    public const string EmbedTokens = TextPrefix + "embed_tokens.weight";
    public const string TextNorm = TextPrefix + "norm.weight";

    public static string VisionLayer(int layer, string suffix) => $"{VisionPrefix}encoder.layers.{layer}.{suffix}";

    /// <summary>A tensor of the vision embeddings (<c>patch_embedding.weight</c>, <c>position_embedding.weight</c>, ...).</summary>
    public static string VisionEmbeddings(string suffix) => $"{VisionPrefix}embeddings.{suffix}";

    /// <summary>A projector tensor (<c>linear_1.weight</c>, ...).</summary>
    public static string Projector(string suffix) => ProjectorPrefix + suffix;

    public static string TextLayer(int layer, string suffix) => $"{TextPrefix}layers.{layer}.{suffix}";

    /// <summary>
    /// The canonical name of the output projection [V, C]: <c>embed_tokens</c> when text_config ties the head (the 0.5B
    /// checkpoint stores no head), otherwise the stored head.
    /// </summary>
    public static string OutputMatrix(Qwen2Config text) => text.TieWordEmbeddings ? EmbedTokens : LmHead;

    /// <summary>The canonical name for a checkpoint name in either scheme (legacy names pass through).</summary>
    public static string ToCanonical(string checkpointName)
    {
        foreach (var (legacy, modern) in s_prefixes)
        {
            if (checkpointName.StartsWith(modern, StringComparison.Ordinal))
                return legacy + checkpointName[modern.Length..];
        }
        return checkpointName;
    }

    /// <summary>The name a checkpoint of <paramref name="naming"/> stores for a canonical name.</summary>
    public static string FromCanonical(string canonicalName, WeightNaming naming)
    {
        if (naming == WeightNaming.Legacy) return canonicalName;
        foreach (var (legacy, modern) in s_prefixes)
        {
            if (canonicalName.StartsWith(legacy, StringComparison.Ordinal))
                return modern + canonicalName[legacy.Length..];
        }
        return canonicalName;
    }

    /// <summary>Legacy if any name uses a legacy prefix, otherwise transformers ≥ 4.52 when any uses a modern one.</summary>
    public static WeightNaming DetectNaming(IEnumerable<string> checkpointNames)
    {
        bool modern = false;
        foreach (string name in checkpointNames)
        {
            if (name.StartsWith(TextPrefix, StringComparison.Ordinal) || name.StartsWith(VisionPrefix, StringComparison.Ordinal))
                return WeightNaming.Legacy;
            if (name.StartsWith("model.language_model.", StringComparison.Ordinal) || name.StartsWith("model.vision_tower.", StringComparison.Ordinal))
                modern = true;
        }
        return modern ? WeightNaming.Transformers452 : WeightNaming.Legacy;
    }

    /// <summary>
    /// Every tensor the model reads, with its expected shape, in checkpoint order (vision, projector, newline, LM).
    /// <c>post_layernorm</c> is listed as optional: hub files carry it but the LLaVA path never uses it. The LM head is
    /// optional when text_config ties it: such a checkpoint (0.5B) omits it and uses <c>embed_tokens</c> as the output matrix.
    /// </summary>
    public static IReadOnlyList<WeightSpec> Expected(LlavaOnevisionConfig config)
    {
        var v = config.Vision;
        var t = config.Text;
        long c = v.HiddenSize, h = t.HiddenSize, kv = (long)t.NumKeyValueHeads * t.HeadDim;
        var list = new List<WeightSpec>
        {
            new(VisionPrefix + "embeddings.patch_embedding.weight", [c, v.NumChannels, v.PatchSize, v.PatchSize]),
            new(VisionPrefix + "embeddings.patch_embedding.bias", [c]),
            new(VisionPrefix + "embeddings.position_embedding.weight", [v.NumPatches, c]),
        };
        for (int i = 0; i < v.NumHiddenLayers; i++)
        {
            foreach (string norm in (string[])["layer_norm1", "layer_norm2"])
            {
                list.Add(new(VisionLayer(i, norm + ".weight"), [c]));
                list.Add(new(VisionLayer(i, norm + ".bias"), [c]));
            }
            foreach (string proj in (string[])["q_proj", "k_proj", "v_proj", "out_proj"])
            {
                list.Add(new(VisionLayer(i, $"self_attn.{proj}.weight"), [c, c]));
                list.Add(new(VisionLayer(i, $"self_attn.{proj}.bias"), [c]));
            }
            list.Add(new(VisionLayer(i, "mlp.fc1.weight"), [v.IntermediateSize, c]));
            list.Add(new(VisionLayer(i, "mlp.fc1.bias"), [v.IntermediateSize]));
            list.Add(new(VisionLayer(i, "mlp.fc2.weight"), [c, v.IntermediateSize]));
            list.Add(new(VisionLayer(i, "mlp.fc2.bias"), [c]));
        }
        list.Add(new(VisionPrefix + "post_layernorm.weight", [c], Optional: true));
        list.Add(new(VisionPrefix + "post_layernorm.bias", [c], Optional: true));

        list.Add(new(ProjectorPrefix + "linear_1.weight", [h, c]));
        list.Add(new(ProjectorPrefix + "linear_1.bias", [h], Optional: !config.MultimodalProjectorBias));
        list.Add(new(ProjectorPrefix + "linear_2.weight", [h, h]));
        list.Add(new(ProjectorPrefix + "linear_2.bias", [h], Optional: !config.MultimodalProjectorBias));
        list.Add(new(ImageNewline, [h]));

        list.Add(new(TextPrefix + "embed_tokens.weight", [t.VocabSize, h]));
        for (int i = 0; i < t.NumHiddenLayers; i++)
        {
            list.Add(new(TextLayer(i, "input_layernorm.weight"), [h]));
            list.Add(new(TextLayer(i, "self_attn.q_proj.weight"), [h, h]));
            list.Add(new(TextLayer(i, "self_attn.q_proj.bias"), [h]));
            list.Add(new(TextLayer(i, "self_attn.k_proj.weight"), [kv, h]));
            list.Add(new(TextLayer(i, "self_attn.k_proj.bias"), [kv]));
            list.Add(new(TextLayer(i, "self_attn.v_proj.weight"), [kv, h]));
            list.Add(new(TextLayer(i, "self_attn.v_proj.bias"), [kv]));
            list.Add(new(TextLayer(i, "self_attn.o_proj.weight"), [h, h]));
            list.Add(new(TextLayer(i, "post_attention_layernorm.weight"), [h]));
            list.Add(new(TextLayer(i, "mlp.gate_proj.weight"), [t.IntermediateSize, h]));
            list.Add(new(TextLayer(i, "mlp.up_proj.weight"), [t.IntermediateSize, h]));
            list.Add(new(TextLayer(i, "mlp.down_proj.weight"), [h, t.IntermediateSize]));
        }
        list.Add(new(TextPrefix + "norm.weight", [h]));
        list.Add(new(LmHead, [t.VocabSize, h], Optional: t.TieWordEmbeddings));
        return list;
    }
}
