// The KV cache's element type as an operator names it (Model:KvCacheDType, --kv-cache-dtype, vLLM's spelling): "auto"
// picks what serves best on the model's backend, the explicit names pin it. Why auto means BF16 on the CPU:
// docs/decisions.md, "BF16 KV cache on the CPU".
using DyCoke.Model.Llava;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>Parses and resolves the KV-cache dtype setting.</summary>
public static class KvCacheDTypeOption
{
    /// <summary>The accepted names.</summary>
    public static readonly IReadOnlyList<string> Names = ["auto", "float32", "bfloat16", "float16"];

    /// <summary>
    /// The dtype <paramref name="name"/> selects for <paramref name="model"/>: "auto" is BF16 on the CPU (decode reads
    /// the video KV every step, and BF16 halves those bytes) and the activation dtype on a GPU.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>, or the model's backend cannot
    /// keep its cache in that dtype.</exception>
    public static DType Resolve(string? name, LlavaOnevisionModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var lm = model.LanguageModel;
        DType dtype = (name ?? "auto").Trim().ToLowerInvariant() switch
        {
            "auto" or "" => model.Backend.Device == DeviceKind.Cpu ? DType.BF16 : lm.ActivationDType,
            "float32" or "fp32" => DType.F32,
            "bfloat16" or "bf16" => DType.BF16,
            "float16" or "fp16" or "half" => DType.F16,
            _ => throw new ArgumentException($"KV cache dtype '{name}' is not one of {string.Join(", ", Names)}", nameof(name)),
        };
        if (!lm.SupportsKvDType(dtype))
            throw new ArgumentException($"KV cache dtype '{name}' ({dtype}) is not supported on {model.Backend.Name}: use auto, or {NameOf(lm.ActivationDType)}" +
                (model.Backend.Device == DeviceKind.Cpu ? " or bfloat16" : ""), nameof(name));
        return dtype;
    }

    /// <summary>The setting's name for <paramref name="dtype"/> (logs, benchmark reports).</summary>
    public static string NameOf(DType dtype) => dtype switch
    {
        DType.F32 => "float32",
        DType.BF16 => "bfloat16",
        DType.F16 => "float16",
        _ => dtype.ToString(),
    };
}
