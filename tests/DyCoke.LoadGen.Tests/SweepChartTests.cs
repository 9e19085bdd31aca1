// The chart: round axis scales and tick labels, text drawn only from the embedded font, and a rendered sweep that
// uses each mode's colour.
using DyCoke.LoadGen.Plot;
using Xunit;

namespace DyCoke.LoadGen.Tests;

public sealed class SweepChartTests
{
    [Theory]
    [InlineData(87, 100, 20)]
    [InlineData(9.8, 10, 2)]
    [InlineData(0.37, 0.4, 0.1)]
    [InlineData(1234, 1250, 250)]
    [InlineData(0, 1, 0.2)]
    public void NiceScale_Max_RoundTopAndStep(double max, double top, double step)
    {
        var (t, s) = LinePanel.NiceScale(max);
        Assert.Equal(top, t, 9);
        Assert.Equal(step, s, 9);
        Assert.True(t >= max);
        Assert.InRange(t / s, 4 - 1e-9, 8 + 1e-9);
    }

    [Theory]
    [InlineData(40, 20, "40")]
    [InlineData(7.5, 2.5, "7.5")]
    [InlineData(0.5, 0.25, "0.50")]
    [InlineData(0.6000000000000001, 0.2, "0.6")]
    public void FormatTick_Step_AsManyDecimalsAsTheStepNeeds(double value, double step, string expected)
    {
        Assert.Equal(expected, LinePanel.FormatTick(value, step));
    }

    [Fact]
    public void Font_EveryLabelCharacter_HasAGlyph()
    {
        foreach (char c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-+=_/()[]<>:%'*#?")
            Assert.True(BitmapFont.Has(c), $"no glyph for '{c}'");
        Assert.False(BitmapFont.Has('~'));
        Assert.Equal(BitmapFont.Glyph('?'), BitmapFont.Glyph('~'));
        Assert.All("ABC019".Select(BitmapFont.Glyph), rows => Assert.Equal(BitmapFont.GlyphHeight, rows.Length));
    }

    [Fact]
    public void DrawText_OneGlyph_SetsExactlyItsPixels()
    {
        var canvas = new RasterCanvas(8, 9, Rgb.White);
        canvas.DrawText(1, 1, "L", Rgb.Black);
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < 8; x++)
            {
                bool ink = x == 1 && y is >= 1 and <= 7 || y == 7 && x is >= 1 and <= 5;
                Assert.Equal(ink ? Rgb.Black : Rgb.White, canvas.GetPixel(x, y));
            }
    }

    [Fact]
    public void Render_TwoModes_BothColoursDrawn()
    {
        var report = new SweepReport
        {
            DateUtc = "2026-01-02T03:04:05Z",
            Model = "demo",
            Settings = new RunSettings { Video = "file:///v.mp4", Frames = 8, MaxTokens = 32 },
            Levels =
            [
                .. new[] { 1, 2, 4 }.SelectMany(c => new[] { DyCokeMode.On, DyCokeMode.Off }.Select(m => new LevelReport
                {
                    Concurrency = c,
                    Dycoke = LevelReport.ModeName(m),
                    Succeeded = 1,
                    OutputTokensPerS = c * (m == DyCokeMode.On ? 10 : 8),
                    TtftMs = new LatencySummary(1, 100 * c, 100 * c, 150 * c, 160 * c, 100 * c, 160 * c),
                })),
            ],
        };
        var canvas = SweepChart.Render(report);
        Assert.Equal((SweepChart.Width, SweepChart.Height), (canvas.Width, canvas.Height));
        var colours = new HashSet<Rgb>();
        for (int y = 0; y < canvas.Height; y++)
            for (int x = 0; x < canvas.Width; x++)
                colours.Add(canvas.GetPixel(x, y));
        Assert.Contains(SweepChart.ColorOf("on"), colours);
        Assert.Contains(SweepChart.ColorOf("off"), colours);
        Assert.DoesNotContain(SweepChart.ColorOf("default"), colours);
    }
}
