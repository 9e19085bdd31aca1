// The "Model" section of appsettings.json (architecture.md §8): which checkpoint, under which name, on which device.
namespace DyCoke.Server.Options;

/// <summary>Model settings; with no <see cref="Path"/> the demo checkpoint is written to the cache and served.</summary>
public sealed record ModelSettings
{
    public const string Section = "Model";

    /// <summary>A LLaVA-OneVision checkpoint directory in Hugging Face format; empty for the demo checkpoint.</summary>
    public string? Path { get; init; }

    /// <summary>The name clients use in "model"; defaults to the directory name (or "dycoke-demo").</summary>
    public string? ServedModelName { get; init; }

    /// <summary>auto, cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Prompt + output cap in tokens (the KV pool may lower it).</summary>
    public int MaxModelLength { get; init; } = 16384;

    /// <summary>The KV cache's element type: auto (BF16 on the CPU, the activation dtype on a GPU), float32, bfloat16 or
    /// float16 (see KvCacheDTypeOption).</summary>
    public string KvCacheDType { get; init; } = "auto";

    /// <summary>Where the demo checkpoint is written once; default ~/.cache/dycoke/demo-model.</summary>
    public string? CacheDirectory { get; init; }
}
