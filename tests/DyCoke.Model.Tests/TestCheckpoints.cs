// Builders for test checkpoints: a tiny LLaVA-OneVision config, its full tensor set with reproducible F16 values in
// either naming scheme, single-file or sharded directories, and raw safetensors bytes for corruption tests.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DyCoke.Model.Checkpoints;
using DyCoke.Model.Config;
using DyCoke.Tensors;

namespace DyCoke.Model.Tests;

internal static class TestCheckpoints
{
    /// <summary>Two layers each side, C = 8 (vision and text), 2 patches per side at 28 px / patch 14, V = 32.</summary>
    public static string TinyConfigJson(bool tied) => $$"""
        {
          "model_type": "llava_onevision",
          "image_token_index": 30,
          "video_token_index": 31,
          "text_config": {
            "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 1, "vocab_size": 32, "rope_theta": 1000000.0,
            "tie_word_embeddings": {{(tied ? "true" : "false")}}
          },
          "vision_config": {
            "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
            "image_size": 28, "patch_size": 14
          }
        }
        """;

    public static LlavaOnevisionConfig TinyConfig(bool tied) => LlavaOnevisionConfig.Parse(TinyConfigJson(tied));

    /// <summary>
    /// The value stored at <paramref name="index"/> of the tensor called <paramref name="canonicalName"/>: a multiple of
    /// 1/16 in [-2, 2), exact in F16, and different between tensors so a mix-up shows.
    /// </summary>
    public static float ValueOf(string canonicalName, long index)
    {
        int hash = 0;
        foreach (char ch in canonicalName) hash = unchecked(hash * 31 + ch);
        return (int)((uint)(hash + index * 7) % 64) / 16f - 2f;
    }

    /// <summary>
    /// F16 entries for <see cref="WeightMap.Expected"/>, stored under <paramref name="naming"/>'s names. By default every
    /// tensor a hub file holds: everything except the head when the config ties it.
    /// </summary>
    public static List<SafeTensorsEntry> Entries(LlavaOnevisionConfig config, WeightNaming naming, Func<WeightSpec, bool>? include = null)
    {
        include ??= spec => !(spec.Name == WeightMap.LmHead && config.Text.TieWordEmbeddings);
        var entries = new List<SafeTensorsEntry>();
        foreach (var spec in WeightMap.Expected(config).Where(include))
        {
            long n = new Shape(spec.Shape).NumElements;
            var bytes = new byte[n * 2];
            for (long i = 0; i < n; i++)
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)i * 2), DTypeConversion.SingleToF16(ValueOf(spec.Name, i)));
            entries.Add(new SafeTensorsEntry(WeightMap.FromCanonical(spec.Name, naming), DType.F16, spec.Shape, bytes));
        }
        return entries;
    }

    /// <summary>Writes config.json and the entries, as model.safetensors or as <paramref name="shards"/> shards + index.</summary>
    public static void WriteDirectory(string directory, string configJson, IReadOnlyList<SafeTensorsEntry> entries, int shards = 1)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, CheckpointDirectory.ConfigFileName), configJson);
        if (shards == 1)
        {
            SafeTensorsWriter.Write(Path.Combine(directory, CheckpointDirectory.SingleFileName), entries, new Dictionary<string, string> { ["format"] = "pt" });
            return;
        }
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        int perShard = (entries.Count + shards - 1) / shards;
        for (int s = 0; s < shards; s++)
        {
            string shardName = $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var part = entries.Skip(s * perShard).Take(perShard).ToList();
            SafeTensorsWriter.Write(Path.Combine(directory, shardName), part);
            foreach (var e in part) weightMap[e.Name] = shardName;
        }
        WriteIndex(Path.Combine(directory, CheckpointDirectory.IndexFileName), weightMap, entries.Sum(e => (long)e.Data.Length));
    }

    /// <summary>Writes a directory holding the tiny config and its default tensor set.</summary>
    public static void WriteTiny(string directory, bool tied, WeightNaming naming, int shards = 1) =>
        WriteDirectory(directory, TinyConfigJson(tied), Entries(TinyConfig(tied), naming), shards);

    /// <summary>Writes a model.safetensors.index.json the way transformers does.</summary>
    public static void WriteIndex(string path, IEnumerable<KeyValuePair<string, string>> weightMap, long totalSize)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteNumber("total_size", totalSize);
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach (var (name, shard) in weightMap) json.WriteString(name, shard);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// Writes a safetensors file of F16 tensors whose data is never written: the file is extended to its full length,
    /// which file systems with sparse files (Linux tmp, NTFS) do without storing the zeros. Returns the file length.
    /// </summary>
    public static long WriteSparse(string path, IEnumerable<(string Name, long[] Shape)> tensors)
    {
        using var header = new MemoryStream();
        long offset = 0;
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            foreach (var (name, shape) in tensors)
            {
                long bytes = new Shape(shape).NumElements * 2;
                json.WriteStartObject(name);
                json.WriteString("dtype", "F16");
                json.WriteStartArray("shape");
                foreach (long d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        WriteRaw(path, header.ToArray(), []);
        long length = 8 + header.Length + offset;
        using (var stream = File.OpenWrite(path)) stream.SetLength(length);
        return length;
    }

    /// <summary>Writes a safetensors file by hand: 8-byte length, the header bytes as given (no padding), the data.</summary>
    public static void WriteRaw(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        stream.Write(data);
    }

    public static void WriteRaw(string path, string headerJson, int dataBytes) =>
        WriteRaw(path, Encoding.UTF8.GetBytes(headerJson), new byte[dataBytes]);

    /// <summary>The raw little-endian bytes of <paramref name="values"/>.</summary>
    public static byte[] Bytes<T>(params T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
