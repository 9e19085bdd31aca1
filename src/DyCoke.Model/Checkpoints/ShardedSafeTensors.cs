// The tensors of one checkpoint spread over one or more safetensors files: a single model.safetensors, or the shards
// named by model.safetensors.index.json. Each shard is mapped once; the index is checked against what the shards hold.
using System.Text.Json;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Checkpoints;

/// <summary>
/// A name → tensor lookup over one or more <see cref="SafeTensorsFile"/>s. Tensors are views of the mappings and
/// become invalid when this object is disposed.
/// </summary>
public sealed class ShardedSafeTensors : IDisposable
{
    private readonly List<SafeTensorsFile> _files;
    private readonly Dictionary<string, SafeTensorsFile> _fileOf;

    private ShardedSafeTensors(string source, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> fileOf,
        IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        _files = files;
        _fileOf = fileOf;
        Metadata = metadata;
        Names = files.SelectMany(f => f.Names).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The index file, or the single safetensors file.</summary>
    public string Source { get; }

    /// <summary>The mapped files, in shard-name order.</summary>
    public IReadOnlyList<SafeTensorsFile> Files => _files;

    /// <summary>Every tensor name, file by file in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The index's <c>metadata</c> (non-string values as JSON text), or the single file's <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Maps a single safetensors file.</summary>
    /// <exception cref="CheckpointException">The file cannot be read or is invalid.</exception>
    public static ShardedSafeTensors OpenSingle(string path)
    {
        var file = SafeTensorsFile.Open(path);
        var fileOf = file.Names.ToDictionary(n => n, _ => file, StringComparer.Ordinal);
        return new ShardedSafeTensors(file.Path, [file], fileOf, file.Metadata);
    }

    /// <summary>
    /// Reads a <c>model.safetensors.index.json</c> (<c>{"metadata": {...}, "weight_map": {tensor: shard}}</c>), maps
    /// every shard it names once, and checks that each listed tensor is in its shard and that no tensor is in two.
    /// </summary>
    /// <exception cref="CheckpointException">The index is unreadable or malformed, a shard is missing or invalid, or
    /// the index disagrees with the shards (the message names the index, the tensor and the shard).</exception>
    public static ShardedSafeTensors OpenIndex(string indexPath)
    {
        string fullIndexPath = Path.GetFullPath(indexPath);
        var (weightMap, metadata) = ReadIndex(fullIndexPath);
        string directory = Path.GetDirectoryName(fullIndexPath)!;

        var shards = new SortedDictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                if (shards.ContainsKey(shard)) continue;
                string shardPath = ResolveShard(fullIndexPath, directory, tensor, shard);
                if (!File.Exists(shardPath))
                    throw new CheckpointException(fullIndexPath, tensor, $"shard '{shard}' does not exist (looked for {shardPath})");
                shards.Add(shard, SafeTensorsFile.Open(shardPath));
            }

            var fileOf = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach (var (shard, file) in shards)
            {
                foreach (string name in file.Names)
                {
                    if (fileOf.TryGetValue(name, out var other))
                        throw new CheckpointException(fullIndexPath, name,
                            $"the tensor is stored in two shards, '{Path.GetFileName(other.Path)}' and '{shard}'");
                    fileOf.Add(name, file);
                }
            }
            foreach (var (tensor, shard) in weightMap)
            {
                if (!shards[shard].Contains(tensor))
                    throw new CheckpointException(fullIndexPath, tensor, $"the index places it in shard '{shard}', which has no such tensor");
            }
            return new ShardedSafeTensors(fullIndexPath, shards.Values.ToList(), fileOf, metadata);
        }
        catch
        {
            foreach (var file in shards.Values) file.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _fileOf.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/> and the file holding it; false if no file has it.</summary>
    public bool TryGetInfo(string name, out SafeTensorInfo info, out SafeTensorsFile file)
    {
        if (_fileOf.TryGetValue(name, out file!)) return file.TryGetInfo(name, out info);
        info = null!;
        return false;
    }

    /// <summary>A CPU view of <paramref name="name"/> in the mapped shard (no copy; see <see cref="SafeTensorsFile.GetTensor"/>).</summary>
    /// <exception cref="CheckpointException">No shard holds <paramref name="name"/>.</exception>
    public Tensor GetTensor(string name)
    {
        if (!_fileOf.TryGetValue(name, out var file))
            throw new CheckpointException(Source, name, "no such tensor in this checkpoint");
        return file.GetTensor(name);
    }

    /// <summary>Unmaps every shard; tensors obtained from them become invalid.</summary>
    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }

    private static (List<(string Tensor, string Shard)> WeightMap, Dictionary<string, string> Metadata) ReadIndex(string indexPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(indexPath, null, $"cannot read the index: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(indexPath, null, $"the index is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(indexPath, null, $"the index must be a JSON object, found {root.ValueKind}");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var metadataElement) && metadataElement.ValueKind != JsonValueKind.Null)
            {
                if (metadataElement.ValueKind != JsonValueKind.Object)
                    throw new CheckpointException(indexPath, "metadata", $"must be an object, found {metadataElement.ValueKind}");
                foreach (var entry in metadataElement.EnumerateObject())
                    metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
            }

            if (!root.TryGetProperty("weight_map", out var mapElement))
                throw new CheckpointException(indexPath, "weight_map", "the index has no weight_map");
            if (mapElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(indexPath, "weight_map", $"must be an object of tensor name → shard file, found {mapElement.ValueKind}");
            var weightMap = new List<(string, string)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in mapElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new CheckpointException(indexPath, entry.Name, $"the weight_map value must be a shard file name, found {entry.Value.GetRawText()}");
                if (!seen.Add(entry.Name))
                    throw new CheckpointException(indexPath, entry.Name, "the weight_map lists this tensor twice");
                weightMap.Add((entry.Name, entry.Value.GetString()!));
            }
            if (weightMap.Count == 0)
                throw new CheckpointException(indexPath, "weight_map", "the weight_map is empty");
            return (weightMap, metadata);
        }
    }

    // Shard names come from a file on disk; keep them inside the checkpoint directory so an index cannot point the
    // server at arbitrary files.
    private static string ResolveShard(string indexPath, string directory, string tensor, string shard)
    {
        string full = Path.GetFullPath(Path.Combine(directory, shard));
        string root = Path.EndsInDirectorySeparator(directory) ? directory : directory + Path.DirectorySeparatorChar;
        if (shard.Length == 0 || Path.IsPathRooted(shard) || !full.StartsWith(root, StringComparison.Ordinal))
            throw new CheckpointException(indexPath, tensor, $"shard '{shard}' is not a file inside {directory}");
        return full;
    }
}
