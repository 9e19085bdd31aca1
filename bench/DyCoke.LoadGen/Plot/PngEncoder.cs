// A PNG writer for 8-bit RGB images (PNG spec, ISO/IEC 15948): signature, IHDR, one zlib-compressed IDAT of
// filter-0 rows, IEND, each chunk with its CRC-32. Enough for plots; no palette, alpha or interlacing.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DyCoke.LoadGen.Plot;

/// <summary>Encodes RGB pixels as PNG.</summary>
internal static class PngEncoder
{
    /// <summary>The 8 bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly uint[] s_crcTable = BuildCrcTable();

    /// <summary>The PNG file for <paramref name="canvas"/>.</summary>
    public static byte[] Encode(RasterCanvas canvas)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        return Encode(canvas.Width, canvas.Height, canvas.Pixels);
    }

    /// <summary>The PNG file for <paramref name="rgb"/>, [H, W, 3] row-major.</summary>
    /// <exception cref="ArgumentException"><paramref name="rgb"/> is not width × height × 3 bytes.</exception>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> rgb)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgb.Length != (long)width * height * 3)
            throw new ArgumentException($"rgb has {rgb.Length} bytes; a {width}×{height} RGB image needs {(long)width * height * 3}", nameof(rgb));

        using var file = new MemoryStream();
        file.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)height);
        header[8] = 8;  // bits per channel
        header[9] = 2;  // color type: truecolor RGB
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method 0 (adaptive, per-row filter byte)
        header[12] = 0; // no interlace
        WriteChunk(file, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            // Filter type 0 (None) on every row: charts are flat colour runs, which deflate already handles well.
            int stride = width * 3;
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0);
                zlib.Write(rgb.Slice(y * stride, stride));
            }
        }
        WriteChunk(file, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected, as PNG and zlib's crc32 use) of <paramref name="data"/>.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFF;
    }

    private static void WriteChunk(Stream file, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        file.Write(word);
        // The CRC covers the type and the data, not the length.
        byte[] typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed.AsSpan(4));
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        file.Write(word);
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
