// Test-side reading of a .safetensors header with System.Text.Json, independent of the project's own reader,
// so the demo writer is checked against the format itself.
using System.Buffers.Binary;
using System.Text.Json;

namespace DyCoke.Model.Tests.Demo;

internal sealed record SafeTensorsHeaderEntry(string DType, long[] Shape, long Begin, long End);

internal sealed record SafeTensorsHeader(
    IReadOnlyDictionary<string, SafeTensorsHeaderEntry> Tensors,
    IReadOnlyDictionary<string, string> Metadata,
    long HeaderLength,
    long DataLength)
{
    public static SafeTensorsHeader Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(0, 8));
        using var doc = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        var tensors = new Dictionary<string, SafeTensorsHeaderEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var m in property.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            var v = property.Value;
            var offsets = v.GetProperty("data_offsets");
            tensors[property.Name] = new SafeTensorsHeaderEntry(
                v.GetProperty("dtype").GetString()!,
                v.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                offsets[0].GetInt64(),
                offsets[1].GetInt64());
        }
        return new SafeTensorsHeader(tensors, metadata, headerLength, file.Length - 8 - headerLength);
    }

    /// <summary>The raw bytes of one tensor.</summary>
    public static byte[] TensorBytes(string path, SafeTensorsHeader header, string name)
    {
        var e = header.Tensors[name];
        using var stream = File.OpenRead(path);
        stream.Seek(8 + header.HeaderLength + e.Begin, SeekOrigin.Begin);
        var bytes = new byte[e.End - e.Begin];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
