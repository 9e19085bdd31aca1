// Writes the demo checkpoint: a complete, tiny, deterministic LLaVA-OneVision directory in Hugging Face format
// (config, F16 safetensors, tokenizer, processor files, README). Same seed and tokenizer in, byte-identical files out.
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Demo;

/// <summary>What to write: the weight seed and, optionally, a tokenizer.json to use instead of the built-in one.</summary>
public sealed record DemoModelOptions
{
    public ulong Seed { get; init; } = DemoModelWriter.DefaultSeed;

    /// <summary>A tokenizer.json file (or a directory holding one); null for the built-in byte-level BPE tokenizer.</summary>
    public string? TokenizerPath { get; init; }
}

/// <summary>What was written.</summary>
public sealed record DemoModelSummary(string Directory, LlavaOnevisionConfig Config, IReadOnlyList<string> Files, int NumTensors, long NumParameters);

public static class DemoModelWriter
{
    public const ulong DefaultSeed = 0;

    /// <summary>Every file the demo directory holds, relative to it, in the order they are written.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.json",
        "processor_config.json",
        "preprocessor_config.json",
        Path.Combine("video_processor", "preprocessor_config.json"),
        "README.md",
    ];

    /// <summary>
    /// Writes the demo checkpoint into <paramref name="directory"/>, creating it if needed. The directory must be
    /// missing, empty, or an earlier demo directory (recognised by its README), whose files are then replaced.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty.</exception>
    /// <exception cref="IOException">The directory holds something other than an earlier demo model, or a write failed.</exception>
    /// <exception cref="FileNotFoundException">The tokenizer path does not exist.</exception>
    /// <exception cref="InvalidDataException">The tokenizer file is not a usable BPE tokenizer.json.</exception>
    public static DemoModelSummary Write(string directory, DemoModelOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(options);
        var tokenizer = options.TokenizerPath is null ? DemoTokenizerBuilder.Build() : TokenizerImporter.Import(options.TokenizerPath);
        var config = DemoModelConfig.Create(tokenizer.NumIds, tokenizer.Ids);
        var weights = DemoWeights.Create(config, options.Seed);
        long numParameters = weights.Sum(w => new Shape(w.Shape).NumElements);

        string root = Path.GetFullPath(directory);
        PrepareDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "video_processor"));
        Put(root, "config.json", DemoModelConfig.ToJson(config, tokenizer.Ids));
        Put(root, "generation_config.json", DemoSideFiles.GenerationConfig(tokenizer.Ids));
        SafeTensorsWriter.Write(Path.Combine(root, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
        Put(root, "tokenizer.json", tokenizer.TokenizerJson);
        Put(root, "tokenizer_config.json", tokenizer.TokenizerConfigJson);
        Put(root, "chat_template.json", DemoSideFiles.ChatTemplate());
        Put(root, "processor_config.json", DemoSideFiles.ProcessorConfig(config));
        Put(root, "preprocessor_config.json", DemoSideFiles.ImagePreprocessorConfig(config));
        Put(root, Path.Combine("video_processor", "preprocessor_config.json"), DemoSideFiles.VideoPreprocessorConfig(config));
        // The README goes last: it marks a finished demo directory, so an interrupted write is not mistaken for one.
        Put(root, "README.md", DemoSideFiles.Readme(config, options.Seed, options.TokenizerPath is null, weights.Count, numParameters));
        return new DemoModelSummary(root, config, FileNames, weights.Count, numParameters);
    }

    private static void Put(string root, string relativePath, byte[] content) => File.WriteAllBytes(Path.Combine(root, relativePath), content);

    // Refusing foreign content keeps a mistyped path from mixing demo files into a real checkpoint (a loader would
    // then see, say, demo config.json next to real shards).
    private static void PrepareDirectory(string root)
    {
        if (File.Exists(root)) throw new IOException($"'{root}' is a file, not a directory");
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root);
            return;
        }
        if (!Directory.EnumerateFileSystemEntries(root).Any()) return;
        if (IsDemoDirectory(root)) return;
        throw new IOException($"'{root}' is not empty and does not hold an earlier demo model; choose an empty or new directory");
    }

    private static bool IsDemoDirectory(string root)
    {
        string readme = Path.Combine(root, "README.md");
        if (!File.Exists(readme)) return false;
        using var reader = new StreamReader(readme);
        return reader.ReadLine() == DemoSideFiles.ReadmeTitle;
    }
}
