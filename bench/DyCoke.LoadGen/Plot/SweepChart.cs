// The sweep's figure: a header naming the run, then two panels side by side (aggregate output tokens/s and TTFT p50
// and p90 against concurrency), one colour per DyCoke mode, and a legend along the bottom.
using System.Globalization;

namespace DyCoke.LoadGen.Plot;

/// <summary>Renders a <see cref="SweepReport"/> as a PNG.</summary>
internal static class SweepChart
{
    public const int Width = 1400;
    public const int Height = 620;
    private const int Scale = 2;
    private static readonly Rgb s_text = new(40, 40, 40);
    private static readonly Rgb s_neutral = new(110, 110, 110);

    /// <summary>The colour of each mode's lines: blue, orange, green (the usual categorical trio).</summary>
    public static Rgb ColorOf(string mode) => mode switch
    {
        "on" => new Rgb(31, 119, 180),
        "off" => new Rgb(230, 120, 20),
        _ => new Rgb(44, 160, 44),
    };

    /// <summary>Draws the figure.</summary>
    public static RasterCanvas Render(SweepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var canvas = new RasterCanvas(Width, Height, Rgb.White);
        string frames = report.Settings.Video is null ? "TEXT ONLY" : $"{report.Settings.Frames} FRAMES";
        string header = string.Create(CultureInfo.InvariantCulture,
            $"{report.Model}: {frames}, {report.Settings.MaxTokens} OUTPUT TOKENS, {report.Machine.Cores} CORES, {report.DateUtc[..Math.Min(10, report.DateUtc.Length)]}");
        canvas.DrawText((Width - RasterCanvas.TextWidth(header, Scale)) / 2, 14, header, s_text, Scale);

        var levels = report.Levels.Select(l => l.Concurrency).ToList();
        var modes = report.Levels.Select(l => l.Dycoke).Distinct().ToList();
        List<(int, double)> Points(string mode, Func<LevelReport, double> pick) =>
            [.. report.Levels.Where(l => l.Dycoke == mode).OrderBy(l => l.Concurrency)
                .Select(l => (l.Concurrency, l.Succeeded > 0 ? pick(l) : double.NaN))];

        var throughput = modes.Select(m => new Series(ColorOf(m), Points(m, l => l.OutputTokensPerS), Dashed: false, SquareMarkers: false)).ToList();
        var ttft = modes.SelectMany(m => new[]
        {
            new Series(ColorOf(m), Points(m, l => l.TtftMs.P50 / 1000), Dashed: false, SquareMarkers: false),
            new Series(ColorOf(m), Points(m, l => l.TtftMs.P90 / 1000), Dashed: true, SquareMarkers: true),
        }).ToList();

        const int panelTop = 50, panelHeight = Height - 50 - 60;
        LinePanel.Draw(canvas, 0, panelTop, Width / 2, panelHeight, "AGGREGATE OUTPUT TOKENS/S", "TOKENS/S", levels, throughput);
        LinePanel.Draw(canvas, Width / 2, panelTop, Width / 2, panelHeight, "TIME TO FIRST TOKEN", "TTFT (S)", levels, ttft);
        DrawLegend(canvas, modes, Height - 40);
        return canvas;
    }

    private static void DrawLegend(RasterCanvas canvas, IReadOnlyList<string> modes, int y)
    {
        var items = new List<(string Label, Rgb Color, bool Dashed, bool Square)>();
        foreach (string mode in modes) items.Add((mode == "default" ? "SERVER DEFAULT" : $"DYCOKE {mode}", ColorOf(mode), false, false));
        items.Add(("P50", s_neutral, false, false));
        items.Add(("P90 (TTFT)", s_neutral, true, true));

        const int swatch = 44, gap = 12, spacing = 40;
        int total = items.Sum(i => swatch + gap + RasterCanvas.TextWidth(i.Label, Scale)) + spacing * (items.Count - 1);
        int x = (canvas.Width - total) / 2;
        foreach (var (label, color, dashed, square) in items)
        {
            canvas.DrawLine(x, y + 7, x + swatch, y + 7, color, 3, dashed ? 10 : 0);
            LinePanel.Marker(canvas, x + swatch / 2.0, y + 7, color, square);
            x += swatch + gap;
            canvas.DrawText(x, y, label, s_text, Scale);
            x += RasterCanvas.TextWidth(label, Scale) + spacing;
        }
    }
}
