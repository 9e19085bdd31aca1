// Reads the PAM (P7) images ffmpeg writes to its stdout one after another. Each frame carries its own size in the
// header, so rotation, odd sizes or a mid-stream size change can never misalign the raw bytes.
using System.Text;

namespace DyCoke.Media;

/// <summary>One decoded frame: interleaved 8-bit pixels <c>[H, W, Channels]</c>, Channels 3 (RGB) or 4 (RGBA).</summary>
internal readonly record struct PamHeader(int Width, int Height, int Channels)
{
    public int ByteCount => Width * Height * Channels;
}

internal sealed class PamReader
{
    private const int MaxHeaderBytes = 512;
    private readonly Stream _stream;
    private readonly int _maxSide;
    private readonly byte[] _one = new byte[1];

    /// <param name="stream">ffmpeg's stdout.</param>
    /// <param name="maxSide">Largest width or height accepted (guards the allocation a header asks for).</param>
    public PamReader(Stream stream, int maxSide)
    {
        _stream = stream;
        _maxSide = maxSide;
    }

    /// <summary>
    /// Reads the next header, or returns null at a clean end of stream. Throws <see cref="InvalidDataException"/> for
    /// anything that is not a well-formed 8-bit RGB/RGB_ALPHA PAM header.
    /// </summary>
    public async Task<PamHeader?> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        var header = new StringBuilder();
        while (true)
        {
            int read = await _stream.ReadAsync(_one, cancellationToken);
            if (read == 0)
            {
                if (header.Length == 0) return null;
                throw new InvalidDataException("ffmpeg output ended inside a frame header");
            }
            header.Append((char)_one[0]);
            if (header.Length > MaxHeaderBytes) throw new InvalidDataException("ffmpeg frame header too long");
            if (_one[0] == '\n' && header.ToString().EndsWith("ENDHDR\n", StringComparison.Ordinal)) break;
        }
        return Parse(header.ToString());
    }

    /// <summary>Reads the pixels that follow <paramref name="header"/> into <paramref name="pixels"/> (<c>[H, W, C]</c>).</summary>
    public async Task ReadPixelsAsync(PamHeader header, Memory<byte> pixels, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(pixels[..header.ByteCount], cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("ffmpeg output ended inside a frame", e);
        }
    }

    private PamHeader Parse(string text)
    {
        int width = 0, height = 0, depth = 0, maxValue = 0;
        string tupleType = "";
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != "P7") throw new InvalidDataException("ffmpeg output is not a PAM image");
        foreach (string line in lines.AsSpan(1))
        {
            int space = line.IndexOf(' ');
            string key = space < 0 ? line : line[..space];
            string value = space < 0 ? "" : line[(space + 1)..].Trim();
            switch (key)
            {
                case "WIDTH": width = int.Parse(value); break;
                case "HEIGHT": height = int.Parse(value); break;
                case "DEPTH": depth = int.Parse(value); break;
                case "MAXVAL": maxValue = int.Parse(value); break;
                case "TUPLTYPE": tupleType = value; break;
                case "ENDHDR": break;
                default: throw new InvalidDataException($"unexpected PAM header line '{line}'");
            }
        }
        bool rgb = depth == 3 && tupleType == "RGB";
        bool rgba = depth == 4 && tupleType == "RGB_ALPHA";
        if (!rgb && !rgba || maxValue != 255)
            throw new InvalidDataException($"unexpected PAM format: depth {depth}, {tupleType}, maxval {maxValue}");
        if (width < 1 || height < 1 || width > _maxSide || height > _maxSide)
            throw new InvalidDataException($"PAM frame size {width}x{height} outside 1..{_maxSide}");
        return new PamHeader(width, height, depth);
    }
}
