// Parses and validates the JSON header of a safetensors file against the size of its data section. Every problem
// becomes a CheckpointException naming the file, the tensor (or __metadata__) and what is wrong with it.
using System.Text.Json;
using System.Text.Unicode;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Checkpoints;

/// <summary>The validated contents of a safetensors header: tensors in header order, and string metadata.</summary>
internal sealed class SafeTensorsHeader
{
    public const string MetadataKey = "__metadata__";

    private SafeTensorsHeader(List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Tensors in the order the header lists them.</summary>
    public List<SafeTensorInfo> Tensors { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>
    /// Parses <paramref name="header"/> (the JSON bytes after the 8-byte length) of <paramref name="file"/>, whose data
    /// section starts at <paramref name="dataStart"/> and holds <paramref name="dataLength"/> bytes.
    /// </summary>
    /// <exception cref="CheckpointException">The header is not valid UTF-8 JSON, or an entry is malformed, uses an
    /// unsupported dtype, disagrees with its byte span, lies outside the data section or overlaps another.</exception>
    public static SafeTensorsHeader Parse(string file, ReadOnlyMemory<byte> header, long dataStart, long dataLength)
    {
        if (!Utf8.IsValid(header.Span))
            throw new CheckpointException(file, null, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(file, null, $"the header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(file, null, $"the header must be a JSON object, found {Kind(root)}");

            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new CheckpointException(file, property.Name, "the header lists this key twice");
                if (property.Name == MetadataKey)
                    ReadMetadata(file, property.Value, metadata);
                else
                    tensors.Add(ReadEntry(file, property.Name, property.Value, dataStart, dataLength));
            }
            CheckOverlaps(file, tensors, dataStart);
            return new SafeTensorsHeader(tensors, metadata);
        }
    }

    private static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(file, MetadataKey, $"must be an object of strings, found {Kind(value)}");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointException(file, MetadataKey, $"value of '{entry.Name}' must be a string, found {Kind(entry.Value)}");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new CheckpointException(file, MetadataKey, $"key '{entry.Name}' is listed twice");
        }
    }

    private static SafeTensorInfo ReadEntry(string file, string name, JsonElement entry, long dataStart, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(file, name, $"the entry must be an object, found {Kind(entry)}");

        var dtypeElement = Field(file, name, entry, "dtype", JsonValueKind.String);
        string dtypeName = dtypeElement.GetString()!;
        if (!DTypeExtensions.TryParseSafeTensorsName(dtypeName, out var dtype))
            throw new CheckpointException(file, name, $"dtype '{dtypeName}' is not supported (supported: F32, F16, BF16, I32, I64, U8)");

        var shapeElement = Field(file, name, entry, "shape", JsonValueKind.Array);
        int rank = shapeElement.GetArrayLength();
        if (rank > Shape.MaxRank)
            throw new CheckpointException(file, name, $"shape has rank {rank}, more than the supported {Shape.MaxRank}");
        var dims = new long[rank];
        int axis = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d))
                throw new CheckpointException(file, name, $"shape dimension {axis} must be an integer, found {dim.GetRawText()}");
            if (d < 0)
                throw new CheckpointException(file, name, $"shape dimension {axis} is negative ({d})");
            dims[axis++] = d;
        }
        var shape = new Shape(dims);

        var offsetsElement = Field(file, name, entry, "data_offsets", JsonValueKind.Array);
        if (offsetsElement.GetArrayLength() != 2)
            throw new CheckpointException(file, name, $"data_offsets must hold two integers [begin, end], found {offsetsElement.GetRawText()}");
        long begin = Offset(file, name, offsetsElement[0]);
        long end = Offset(file, name, offsetsElement[1]);
        if (end < begin)
            throw new CheckpointException(file, name, $"data_offsets [{begin}, {end}] end before they begin");

        long expectedBytes;
        try
        {
            expectedBytes = checked(shape.NumElements * dtype.SizeOf());
        }
        catch (OverflowException)
        {
            throw new CheckpointException(file, name, $"shape {shape} of {dtypeName} is too large to address");
        }
        if (end - begin != expectedBytes)
            throw new CheckpointException(file, name,
                $"shape {shape} of {dtypeName} needs {expectedBytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        if (end > dataLength)
            throw new CheckpointException(file, name,
                $"data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes): " +
                $"{end - dataLength} bytes missing; the file looks truncated");
        return new SafeTensorInfo(name, dtype, shape, dataStart + begin, expectedBytes);
    }

    private static JsonElement Field(string file, string name, JsonElement entry, string field, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(field, out var value))
            throw new CheckpointException(file, name, $"the entry has no '{field}'");
        if (value.ValueKind != kind)
            throw new CheckpointException(file, name, $"'{field}' must be {Article(kind)}, found {Kind(value)}");
        return value;
    }

    private static long Offset(string file, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long offset) || offset < 0)
            throw new CheckpointException(file, name, $"data_offsets must be non-negative integers, found {value.GetRawText()}");
        return offset;
    }

    // Sorting by start makes one pass enough: any overlap shows up between neighbours. Empty tensors occupy no bytes
    // and may share an offset with anything. Gaps and unused trailing bytes are tolerated: they cannot corrupt a tensor.
    private static void CheckOverlaps(string file, List<SafeTensorInfo> tensors, long dataStart)
    {
        var byStart = tensors.Where(t => t.ByteCount > 0).OrderBy(t => t.FileOffset).ToList();
        for (int i = 1; i < byStart.Count; i++)
        {
            var previous = byStart[i - 1];
            var current = byStart[i];
            if (current.FileOffset < previous.FileOffset + previous.ByteCount)
            {
                throw new CheckpointException(file, current.Name,
                    $"data_offsets [{current.FileOffset - dataStart}, {current.FileOffset - dataStart + current.ByteCount}] overlap " +
                    $"tensor '{previous.Name}' at [{previous.FileOffset - dataStart}, {previous.FileOffset - dataStart + previous.ByteCount}]");
            }
        }
    }

    private static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => kind.ToString(),
    };

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string {value.GetRawText()}",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}
