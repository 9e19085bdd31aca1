// Writes .safetensors files: an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
// Deterministic: same tensors in, byte-identical file out (the demo checkpoint depends on it).
using System.Text.Json;
using DyCoke.Tensors;

namespace DyCoke.Model.Checkpoints;

/// <summary>One tensor to write: its checkpoint name, dtype, shape and raw little-endian element bytes.</summary>
public sealed record SafeTensorsEntry(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data);

public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes <paramref name="entries"/> to <paramref name="path"/> with optional string metadata (e.g. {"format": "pt"}).
    /// Tensors go in descending element size, then ordinal name order, and the header is padded with spaces to a
    /// multiple of 8 bytes (as the reference implementation does): together these start every tensor at an address
    /// aligned to its element size, deterministically.
    /// </summary>
    public static void Write(string path, IEnumerable<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var sorted = entries.OrderByDescending(e => e.DType.SizeOf()).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in sorted)
        {
            if (!seen.Add(e.Name)) throw new ArgumentException($"tensor '{e.Name}' is listed twice");
            long expected = checked(new Shape(e.Shape).NumElements * e.DType.SizeOf());
            if (e.Data.Length != expected)
                throw new ArgumentException($"tensor '{e.Name}' {e.DType} [{string.Join(", ", e.Shape)}] needs {expected} bytes, got {e.Data.Length}");
        }

        byte[] header = BuildHeader(sorted, metadata);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> lengthBytes = stackalloc byte[8];
        BitConverter.TryWriteBytes(lengthBytes, (ulong)header.Length);
        if (!BitConverter.IsLittleEndian) lengthBytes.Reverse();
        stream.Write(lengthBytes);
        stream.Write(header);
        foreach (var e in sorted) stream.Write(e.Data.Span);
    }

    private static byte[] BuildHeader(List<SafeTensorsEntry> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in sorted)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType.SafeTensorsName());
                json.WriteStartArray("shape");
                foreach (long d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + e.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += e.Data.Length;
            }
            json.WriteEndObject();
        }
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        var header = new byte[padded];
        buffer.ToArray().CopyTo(header, 0);
        for (int i = (int)buffer.Length; i < padded; i++) header[i] = (byte)' ';
        return header;
    }

}
