// The steps around the resize: (x/255 - 0.5) / 0.5 bit-exact with transformers' numpy path, channels-first layout, and the alpha-over-white table against
// Pillow's alpha_composite (the RGBA fixture case checks it on real pixels too).
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class FramePreprocessorTests
{
    private const int Size = FramePreprocessor.Size;

    [Fact]
    public void Process_SolidColor_NormalizedChannelsFirst()
    {
        var frame = new byte[Size * Size * 3]; // [384, 384, 3]
        for (int i = 0; i < Size * Size; i++)
        {
            frame[3 * i] = 0;
            frame[3 * i + 1] = 255;
            frame[3 * i + 2] = 51;
        }
        var output = new float[3 * Size * Size]; // [3, 384, 384]

        new FramePreprocessor().Process(frame, Size, Size, 3, output);

        Assert.All(output.AsSpan(0, Size * Size).ToArray(), v => Assert.Equal(-1f, v));
        Assert.All(output.AsSpan(Size * Size, Size * Size).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(output.AsSpan(2 * Size * Size, Size * Size).ToArray(), v => Assert.Equal(BitConverter.UInt32BitsToSingle(3206125978), v));
    }

    [Fact]
    public void ToChannelsFirst_Position_GoesToPlaneRowColumn()
    {
        var frame = new byte[Size * Size * 3]; // [384, 384, 3]
        int y = 17, x = 301;
        frame[(y * Size + x) * 3 + 1] = 255; // G at (17, 301)
        var output = new float[3 * Size * Size]; // [3, 384, 384]

        FramePreprocessor.ToChannelsFirst(frame, output);

        Assert.Equal(1f, output[Size * Size + y * Size + x]);
        Assert.Equal(-1f, output[y * Size + x]);
        Assert.Equal(-1f, output[Size * Size + x * Size + y]);
    }

    // Bits printed by numpy: ((x.astype(float64) * (1/255)).astype(float32) - float32(0.5)) / float32(0.5)
    [Theory]
    [InlineData(0, 3212836864u)] // -1
    [InlineData(1, 3212705278u)]
    [InlineData(127, 3145760896u)]
    [InlineData(128, 998277376u)] // 0.003921628, not the fused path's 0.0039215689
    [InlineData(200, 1058115986u)]
    [InlineData(255, 1065353216u)] // 1
    public void Process_Value_MatchesTransformersNumpyRescaleNormalize(byte value, uint expectedBits)
    {
        var frame = Enumerable.Repeat(value, Size * Size * 3).ToArray();
        var output = new float[3 * Size * Size];

        new FramePreprocessor().Process(frame, Size, Size, 3, output);

        Assert.Equal(expectedBits, BitConverter.SingleToUInt32Bits(output[12345]));
        Assert.Equal(value / 127.5f - 1f, output[12345]);
    }

    [Fact]
    public void CompositeOverWhite_OpaqueAndTransparent_KeepColorOrGiveWhite()
    {
        byte[] rgba = [10, 20, 30, 255, 10, 20, 30, 0, 200, 100, 0, 128];
        var rgb = new byte[9];

        FramePreprocessor.CompositeOverWhite(rgba, rgb);

        Assert.Equal(new byte[] { 10, 20, 30 }, rgb[..3]);
        Assert.Equal(new byte[] { 255, 255, 255 }, rgb[3..6]);
        // Pillow: alpha_composite(white, (200, 100, 0, 128)) = (227, 177, 127)
        Assert.Equal(new byte[] { 227, 177, 127 }, rgb[6..9]);
    }

    [Fact]
    public void CompositeOverWhite_EveryValueOpaque_IsIdentity()
    {
        var rgba = new byte[256 * 4];
        for (int v = 0; v < 256; v++)
        {
            rgba[4 * v] = rgba[4 * v + 1] = rgba[4 * v + 2] = (byte)v;
            rgba[4 * v + 3] = 255;
        }
        var rgb = new byte[256 * 3];

        FramePreprocessor.CompositeOverWhite(rgba, rgb);

        for (int v = 0; v < 256; v++) Assert.Equal(v, rgb[3 * v]);
    }

    [Fact]
    public void Process_RgbaFrame_EqualsCompositeThenResize()
    {
        byte[] rgba = PilBicubicResizeTests.ReadGzip("ffv1_200x150_rgba.in.raw.gz"); // [150, 200, 4]
        byte[] expected = PilBicubicResizeTests.ReadGzip("ffv1_200x150_rgba.out.rgb.gz"); // [384, 384, 3] from Pillow
        var output = new float[3 * Size * Size];

        new FramePreprocessor().Process(rgba, 200, 150, 4, output);

        for (int i = 0; i < Size * Size; i++)
        {
            for (int c = 0; c < 3; c++) Assert.Equal(expected[3 * i + c] / 127.5f - 1f, output[c * Size * Size + i]);
        }
    }

    [Fact]
    public void Process_WrongOutputLength_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new FramePreprocessor().Process(new byte[12], 2, 2, 3, new float[10]));

        Assert.Contains("[3, 384, 384]", e.Message);
    }
}
