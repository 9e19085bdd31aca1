// A Hugging Face LLaVA-OneVision model directory opened for reading: config.json plus model.safetensors or a sharded
// index, with tensors exposed under canonical names and checked against the shapes the config implies.
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Checkpoints;

/// <summary>
/// An open checkpoint directory. Opening validates it: every required tensor of <see cref="WeightMap.Expected"/> is
/// present with the exact shape and a float dtype. Tensors are views of memory-mapped files and become invalid when
/// this object is disposed.
/// </summary>
public sealed class CheckpointDirectory : IDisposable
{
    public const string ConfigFileName = "config.json";
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly ShardedSafeTensors _weights;
    private readonly Dictionary<string, string> _checkpointNameOf; // canonical → name as stored

    private CheckpointDirectory(string directory, LlavaOnevisionConfig config, ShardedSafeTensors weights)
    {
        DirectoryPath = directory;
        Config = config;
        _weights = weights;
        Naming = WeightMap.DetectNaming(weights.Names);
        _checkpointNameOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in weights.Names)
        {
            string canonical = WeightMap.ToCanonical(name);
            if (!_checkpointNameOf.TryAdd(canonical, name))
                throw new CheckpointException(weights.Source, name,
                    $"maps to the canonical name '{canonical}' like '{_checkpointNameOf[canonical]}' does: the checkpoint mixes both naming schemes");
        }
        var expected = WeightMap.Expected(config).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        CanonicalNames = weights.Names.Select(WeightMap.ToCanonical).ToArray();
        UnexpectedTensors = weights.Names.Where(n => !expected.Contains(WeightMap.ToCanonical(n))).ToArray();
    }

    /// <summary>Full path of the directory.</summary>
    public string DirectoryPath { get; }

    public LlavaOnevisionConfig Config { get; }

    /// <summary>The tensor-name scheme the checkpoint uses (detected from its names).</summary>
    public WeightNaming Naming { get; }

    /// <summary>model.safetensors, or the index file of a sharded checkpoint.</summary>
    public string WeightsPath => _weights.Source;

    /// <summary>The mapped safetensors files.</summary>
    public IReadOnlyList<SafeTensorsFile> Files => _weights.Files;

    /// <summary>Every tensor's canonical name (legacy scheme), in file order.</summary>
    public IReadOnlyList<string> CanonicalNames { get; }

    /// <summary>Tensors (as stored) that the model does not read; not an error, but worth logging.</summary>
    public IReadOnlyList<string> UnexpectedTensors { get; }

    /// <summary>
    /// Opens <paramref name="directory"/>: reads config.json, maps model.safetensors (preferred, as transformers does)
    /// or the shards of model.safetensors.index.json, and validates the tensors against the config.
    /// </summary>
    /// <exception cref="CheckpointException">The directory, config or weights are missing or invalid, or a tensor is
    /// missing, misshapen or not a float type; the message names the file and the tensor or field.</exception>
    public static CheckpointDirectory Open(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
            throw new CheckpointException(full, null, File.Exists(full) ? "is a file, not a checkpoint directory" : "the checkpoint directory does not exist");

        string configPath = Path.Combine(full, ConfigFileName);
        if (!File.Exists(configPath))
            throw new CheckpointException(configPath, null, "config.json is missing: not a Hugging Face model directory");
        var config = LlavaOnevisionConfig.Load(configPath);

        string singlePath = Path.Combine(full, SingleFileName);
        string indexPath = Path.Combine(full, IndexFileName);
        ShardedSafeTensors weights;
        if (File.Exists(singlePath))
            weights = ShardedSafeTensors.OpenSingle(singlePath);
        else if (File.Exists(indexPath))
            weights = ShardedSafeTensors.OpenIndex(indexPath);
        else
            throw new CheckpointException(full, null, $"no weights: neither {SingleFileName} nor {IndexFileName} exists (only safetensors checkpoints are supported)");

        try
        {
            var checkpoint = new CheckpointDirectory(full, config, weights);
            checkpoint.Validate();
            return checkpoint;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks every entry of <see cref="WeightMap.Expected"/>: required tensors must exist, and every present one must
    /// have the expected shape and an F32, F16 or BF16 dtype. Called by <see cref="Open"/>.
    /// </summary>
    /// <exception cref="CheckpointException">The first problem found; a missing tensor's message counts the others.</exception>
    public void Validate()
    {
        var missing = new List<string>();
        foreach (var spec in WeightMap.Expected(Config))
        {
            if (!TryGetInfo(spec.Name, out var info, out var file))
            {
                if (!spec.Optional) missing.Add(spec.Name);
                continue;
            }
            var expectedShape = new Shape(spec.Shape);
            if (info.Shape != expectedShape)
                throw new CheckpointException(file.Path, info.Name, $"expected shape {expectedShape} (from {ConfigFileName}), found {info.Shape}");
            if (!info.DType.IsFloat())
                throw new CheckpointException(file.Path, info.Name, $"dtype {info.DType} is not a float type (F32, F16 or BF16)");
        }
        if (missing.Count > 0)
        {
            string more = missing.Count > 1 ? $"; {missing.Count - 1} more required tensors are missing too" : "";
            throw new CheckpointException(WeightsPath, WeightMap.FromCanonical(missing[0], Naming),
                $"required tensor is missing (names read with the {Naming} scheme, detected from the checkpoint){more}");
        }
    }

    public bool Contains(string canonicalName) => _checkpointNameOf.ContainsKey(canonicalName);

    /// <summary>The header entry (name as stored) and file of a tensor given by canonical name; false if absent.</summary>
    public bool TryGetInfo(string canonicalName, out SafeTensorInfo info, out SafeTensorsFile file)
    {
        if (_checkpointNameOf.TryGetValue(canonicalName, out string? stored)) return _weights.TryGetInfo(stored, out info, out file);
        info = null!;
        file = null!;
        return false;
    }

    /// <summary>A CPU view of the tensor with canonical name <paramref name="canonicalName"/> (no copy).</summary>
    /// <exception cref="CheckpointException">The checkpoint has no such tensor.</exception>
    public Tensor GetTensor(string canonicalName)
    {
        if (!_checkpointNameOf.TryGetValue(canonicalName, out string? stored))
            throw new CheckpointException(WeightsPath, WeightMap.FromCanonical(canonicalName, Naming), $"no such tensor ({Naming} naming)");
        return _weights.GetTensor(stored);
    }

    /// <summary>
    /// The output projection [V, C]. When text_config ties the embeddings, transformers points the head at
    /// <c>embed_tokens</c> after loading, overriding any stored head, so this returns <c>embed_tokens</c> then;
    /// otherwise the stored head, which <see cref="Validate"/> guarantees exists.
    /// </summary>
    public Tensor GetLmHead() =>
        GetTensor(Config.Text.TieWordEmbeddings ? WeightMap.TextPrefix + "embed_tokens.weight" : WeightMap.LmHead);

    /// <summary>Unmaps every file; tensors obtained from this checkpoint become invalid.</summary>
    public void Dispose() => _weights.Dispose();

    public override string ToString() => $"CheckpointDirectory({DirectoryPath}, {Naming}, {CanonicalNames.Count} tensors)";
}
