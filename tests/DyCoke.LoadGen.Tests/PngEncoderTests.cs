// PngEncoder: a file any decoder accepts, checked here by hand: the signature, chunk order, lengths and CRCs (against
// a bit-by-bit CRC written independently of the encoder's table), the IHDR fields, and IDAT inflating back to the
// filter-0 rows of the original pixels.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DyCoke.LoadGen.Plot;
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class PngEncoderTests
{
    private static List<(string Type, byte[] Data, uint Crc)> Chunks(byte[] png)
    {
        Assert.True(png.AsSpan(0, 8).SequenceEqual(PngEncoder.Signature));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var chunks = new List<(string, byte[], uint)>();
        int at = 8;
        while (at < png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            byte[] data = png.AsSpan(at + 8, length).ToArray();
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            chunks.Add((type, data, crc));
            Assert.Equal(BitwiseCrc(png.AsSpan(at + 4, 4 + length)), crc);
            at += 12 + length;
        }
        Assert.Equal(png.Length, at);
        return chunks;
    }

    // The CRC-32 definition itself, one bit at a time.
    private static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    [Fact]
    public void Crc32_CheckString_IsTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, PngEncoder.Crc32("123456789"u8));
        Assert.Equal(0u, PngEncoder.Crc32([]));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(300, 200)]
    public void Encode_RandomPixels_ChunksValidAndIdatInflatesToTheRows(int width, int height)
    {
        var rgb = new byte[width * height * 3]; // [H, W, 3]
        new Random(width * 31 + height).NextBytes(rgb);
        var chunks = Chunks(PngEncoder.Encode(width, height, rgb));

        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        var ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        Assert.Equal((uint)width, BinaryPrimitives.ReadUInt32BigEndian(ihdr));
        Assert.Equal((uint)height, BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4)));
        Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, ihdr[8..]);
        Assert.Empty(chunks[2].Data);

        using var inflater = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        inflater.CopyTo(raw);
        byte[] rows = raw.ToArray();
        int stride = width * 3;
        Assert.Equal(height * (1 + stride), rows.Length);
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, rows[y * (1 + stride)]);
            Assert.True(rows.AsSpan(y * (1 + stride) + 1, stride).SequenceEqual(rgb.AsSpan(y * stride, stride)), $"row {y} differs");
        }
    }

    [Fact]
    public void Encode_Canvas_SameBytesAsItsPixels()
    {
        var canvas = new RasterCanvas(20, 10, new Rgb(10, 20, 30));
        canvas.DrawLine(0, 0, 19, 9, Rgb.Black);
        Assert.Equal(PngEncoder.Encode(20, 10, canvas.Pixels), PngEncoder.Encode(canvas));
    }

    [Fact]
    public void Encode_WrongPixelCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(4, 4, new byte[4 * 4 * 3 - 1]));
        Assert.Contains("4×4", e.Message, StringComparison.Ordinal);
    }
}
