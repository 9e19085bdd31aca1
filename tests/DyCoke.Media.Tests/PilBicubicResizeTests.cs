// Resize parity with Debian python3-pil (Pillow 9.4) on frames decoded by ffmpeg and on 0/255 noise
// (tools/reference/make_resize_fixture.py writes tests/fixtures/media/resize). Required: at most 1 level of 255;
// the fixtures are in fact matched exactly and the test reports the largest difference it saw.
using System.IO.Compression;
using System.Text.Json;
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class PilBicubicResizeTests
{
    private const int Size = 384;
    private static readonly string s_fixtureDirectory = Path.Combine(AppContext.BaseDirectory, "fixtures", "media", "resize");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in Manifest().GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Process_PillowFixture_MatchesExactly(string name)
    {
        JsonElement c = Manifest().GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        int width = c.GetProperty("width").GetInt32();
        int height = c.GetProperty("height").GetInt32();
        int channels = c.GetProperty("channels").GetInt32();
        byte[] input = c.TryGetProperty("noise_seed", out JsonElement seed)
            ? LcgNoise(width, height, seed.GetInt32())
            : ReadGzip(c.GetProperty("input").GetString()!); // [H, W, C]
        byte[] expected = ReadGzip(c.GetProperty("output").GetString()!); // [384, 384, 3]
        Assert.Equal(width * height * channels, input.Length);

        byte[] actual = new byte[Size * Size * 3]; // [384, 384, 3]
        if (channels == 4)
        {
            var rgb = new byte[width * height * 3]; // [H, W, 3]
            FramePreprocessor.CompositeOverWhite(input, rgb);
            input = rgb;
        }
        new PilBicubicResize(width, height, Size, Size).Resize(input, actual);

        int maxDiff = 0, differing = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            int d = Math.Abs(actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, d);
            if (d != 0) differing++;
        }
        Assert.True(maxDiff <= 1, $"{name}: max difference {maxDiff} levels, {differing} values differ");
        Assert.True(differing == 0, $"{name}: {differing} values differ by 1 level (allowed, but the implementation aims for exact)");
    }

    [Fact]
    public void Resize_SameSize_IsACopy()
    {
        byte[] input = LcgNoise(7, 5, seed: 3);
        byte[] output = new byte[input.Length];

        new PilBicubicResize(7, 5, 7, 5).Resize(input, output);

        Assert.Equal(input, output);
    }

    [Fact]
    public void Resize_ConstantImage_StaysConstant()
    {
        // Normalised weights sum to one (up to the fixed-point rounding), so a flat image must stay flat at any scale.
        byte[] input = Enumerable.Repeat((byte)200, 123 * 77 * 3).ToArray();
        byte[] output = new byte[Size * Size * 3];

        new PilBicubicResize(123, 77, Size, Size).Resize(input, output);

        Assert.All(output, v => Assert.Equal(200, v));
    }

    [Theory]
    [InlineData(1920, 384)]
    [InlineData(100, 384)]
    [InlineData(384, 384)]
    [InlineData(7, 3)]
    public void AxisCreate_EachOutput_WeightsSumToOneInFixedPoint(int inSize, int outSize)
    {
        var axis = BicubicWeights.Create(inSize, outSize);

        for (int i = 0; i < outSize; i++)
        {
            int sum = axis.Weights.AsSpan(i * axis.KernelSize, axis.Count[i]).ToArray().Sum();
            Assert.InRange(sum, (1 << BicubicWeights.PrecisionBits) - axis.Count[i], (1 << BicubicWeights.PrecisionBits) + axis.Count[i]);
            Assert.InRange(axis.Start[i], 0, inSize - 1);
            Assert.InRange(axis.Start[i] + axis.Count[i], 1, inSize);
        }
    }

    [Fact]
    public void Resize_ShortSource_ThrowsNamingTheShape()
    {
        var resize = new PilBicubicResize(10, 10, 4, 4);

        var e = Assert.Throws<ArgumentException>(() => resize.Resize(new byte[10], new byte[4 * 4 * 3]));

        Assert.Contains("[10, 10, 3]", e.Message);
    }

    /// <summary>The fixture script's noise: x &lt;- (1103515245 x + 12345) mod 2^31, byte 255 if bit 16 of x is set.</summary>
    internal static byte[] LcgNoise(int width, int height, int seed)
    {
        var bytes = new byte[width * height * 3]; // [H, W, 3]
        long x = seed;
        for (int i = 0; i < bytes.Length; i++)
        {
            x = (1103515245 * x + 12345) % (1L << 31);
            bytes[i] = ((x >> 16) & 1) != 0 ? (byte)255 : (byte)0;
        }
        return bytes;
    }

    internal static byte[] ReadGzip(string name)
    {
        using var file = File.OpenRead(Path.Combine(s_fixtureDirectory, name));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        gzip.CopyTo(bytes);
        return bytes.ToArray();
    }

    private static JsonElement Manifest() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(s_fixtureDirectory, "manifest.json"))).RootElement;
}
