// One decoded frame to model pixels, as LlavaOnevisionVideoProcessor does (llava-onevision.md §3): squash-resized to
// 384x384 with PIL bicubic, rescaled to [-1, 1] as transformers' numpy path does ((x/255 - 0.5) / 0.5), channels first.
// Alpha: composited over white with Pillow's alpha_composite arithmetic, as transformers' convert_to_rgb does; video
// loaders that decode straight to rgb24 (decord, PyAV) drop alpha instead, which only differs for translucent pixels.
// Grayscale arrives from ffmpeg already expanded to RGB.
namespace DyCoke.Media;

internal sealed class FramePreprocessor
{
    /// <summary>Output side length (SigLIP so400m-patch14-384).</summary>
    public const int Size = 384;

    private static readonly float[] s_normalized = BuildNormalizationTable(); // [256]
    private static readonly byte[] s_overWhite = BuildOverWhiteTable(); // [alpha 256, value 256]

    private readonly byte[] _resized = new byte[Size * Size * 3]; // [384, 384, 3]
    private PilBicubicResize? _resize;
    private byte[] _rgb = []; // [H, W, 3] when the source has alpha

    /// <summary>
    /// Writes <c>[3, 384, 384]</c> floats for one frame into <paramref name="output"/>.
    /// <paramref name="pixels"/> is <c>[height, width, channels]</c>, channels 3 (RGB) or 4 (RGBA).
    /// </summary>
    public void Process(ReadOnlySpan<byte> pixels, int width, int height, int channels, Span<float> output)
    {
        if (channels is not (3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "expected 3 (RGB) or 4 (RGBA)");
        if (output.Length != 3 * Size * Size)
            throw new ArgumentException($"output holds {output.Length} floats, expected [3, {Size}, {Size}]", nameof(output));

        ReadOnlySpan<byte> rgb = pixels; // [H, W, 3]
        if (channels == 4)
        {
            if (_rgb.Length != width * height * 3) _rgb = new byte[width * height * 3];
            CompositeOverWhite(pixels[..(width * height * 4)], _rgb);
            rgb = _rgb;
        }
        if (_resize is null || _resize.InputWidth != width || _resize.InputHeight != height)
            _resize = new PilBicubicResize(width, height, Size, Size);
        _resize.Resize(rgb, _resized);
        ToChannelsFirst(_resized, output);
    }

    /// <summary>[H, W, 4] RGBA to [H, W, 3] RGB over an opaque white background.</summary>
    internal static void CompositeOverWhite(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        int pixels = rgba.Length / 4;
        for (int i = 0; i < pixels; i++)
        {
            int row = rgba[4 * i + 3] << 8; // alpha selects the table row
            rgb[3 * i] = s_overWhite[row | rgba[4 * i]];
            rgb[3 * i + 1] = s_overWhite[row | rgba[4 * i + 1]];
            rgb[3 * i + 2] = s_overWhite[row | rgba[4 * i + 2]];
        }
    }

    /// <summary>[384, 384, 3] bytes to [3, 384, 384] floats in [-1, 1].</summary>
    internal static void ToChannelsFirst(ReadOnlySpan<byte> interleaved, Span<float> planes)
    {
        const int plane = Size * Size;
        Span<float> r = planes[..plane]; // [384, 384]
        Span<float> g = planes.Slice(plane, plane); // [384, 384]
        Span<float> b = planes.Slice(2 * plane, plane); // [384, 384]
        float[] table = s_normalized;
        for (int i = 0; i < plane; i++)
        {
            r[i] = table[interleaved[3 * i]];
            g[i] = table[interleaved[3 * i + 1]];
            b[i] = table[interleaved[3 * i + 2]];
        }
    }

    /// <summary>
    /// transformers' numpy rescale + normalize, the path whose resize is PIL: v = fp32(x · (1/255) in fp64), then
    /// (v - 0.5f) / 0.5f in fp32. For all 256 inputs this equals x / 127.5f - 1f (tools/reference's formula); the fused
    /// torchvision path, (x - 127.5) / 127.5, differs by at most 6e-8 on 128 values, and all of them round to the same
    /// fp16 and bf16 values the model sees (checked with numpy/torch).
    /// </summary>
    private static float[] BuildNormalizationTable()
    {
        var table = new float[256];
        for (int x = 0; x < 256; x++)
        {
            float rescaled = (float)(x * (1.0 / 255));
            table[x] = (rescaled - 0.5f) / 0.5f;
        }
        return table;
    }

    /// <summary>
    /// Pillow's ImagingAlphaComposite (scalar path) with an opaque white destination, for every (alpha, value): 7-bit
    /// coefficients and its divide-by-255 by shifts. Alpha 0 leaves the white background.
    /// </summary>
    private static byte[] BuildOverWhiteTable()
    {
        const int precision = 7;
        var table = new byte[256 * 256];
        for (int alpha = 0; alpha < 256; alpha++)
        {
            for (int value = 0; value < 256; value++)
            {
                if (alpha == 0)
                {
                    table[value] = 255;
                    continue;
                }
                uint blend = 255u * (uint)(255 - alpha);
                uint outAlpha255 = (uint)alpha * 255 + blend;
                uint coefficient1 = (uint)alpha * 255 * 255 * (1u << precision) / outAlpha255;
                uint coefficient2 = 255 * (1u << precision) - coefficient1;
                uint mixed = (uint)value * coefficient1 + 255 * coefficient2 + (0x80u << precision);
                table[alpha << 8 | value] = (byte)((((mixed >> 8) + mixed) >> 8) >> precision);
            }
        }
        return table;
    }
}
