// One chart panel: a title, a y axis from zero to a round maximum with grid lines, a log2 concurrency x axis with a
// tick at each measured level, and the series drawn as lines with markers. Knows nothing about the report.
using System.Globalization;

namespace DyCoke.LoadGen.Plot;

/// <summary>A line to draw: (concurrency, value) points in ascending concurrency; NaN values are skipped.</summary>
internal sealed record Series(Rgb Color, IReadOnlyList<(int X, double Y)> Points, bool Dashed, bool SquareMarkers);

/// <summary>Draws a panel into a rectangle of a canvas.</summary>
internal static class LinePanel
{
    private const int Scale = 2; // font pixel size: 10×14 px glyphs
    private static readonly Rgb s_grid = new(226, 226, 226);
    private static readonly Rgb s_text = new(40, 40, 40);

    /// <summary>Draws the panel in (left, top, width, height); the plot area leaves room inside for labels.</summary>
    public static void Draw(RasterCanvas canvas, int left, int top, int width, int height, string title, string yLabel,
        IReadOnlyList<int> levels, IReadOnlyList<Series> series)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(series);
        int plotLeft = left + 100, plotRight = left + width - 24, plotTop = top + 40, plotBottom = top + height - 56;
        canvas.DrawText(left + (width - RasterCanvas.TextWidth(title, Scale)) / 2, top + 8, title, s_text, Scale);

        double max = series.SelectMany(s => s.Points).Select(p => p.Y).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var (yTop, step) = NiceScale(max);
        double Y(double v) => plotBottom - v / yTop * (plotBottom - plotTop);
        for (int i = 0; i * step <= yTop * (1 + 1e-9); i++)
        {
            double v = i * step;
            int y = (int)Math.Round(Y(v));
            canvas.DrawLine(plotLeft, y, plotRight, y, s_grid);
            string label = FormatTick(v, step);
            canvas.DrawText(plotLeft - 10 - RasterCanvas.TextWidth(label, Scale), y - 7, label, s_text, Scale);
        }
        canvas.DrawTextUp(left + 6, (plotTop + plotBottom + RasterCanvas.TextWidth(yLabel, Scale)) / 2, yLabel, s_text, Scale);

        var distinct = levels.Distinct().Order().ToList();
        double lo = Math.Log2(distinct.Count > 0 ? distinct[0] : 1), hi = Math.Log2(distinct.Count > 0 ? distinct[^1] : 1);
        double X(int level) => hi > lo
            ? plotLeft + 30 + (Math.Log2(level) - lo) / (hi - lo) * (plotRight - plotLeft - 60)
            : (plotLeft + plotRight) / 2.0;
        foreach (int level in distinct)
        {
            int x = (int)Math.Round(X(level));
            canvas.DrawLine(x, plotBottom, x, plotBottom + 6, Rgb.Black, 2);
            string label = level.ToString(CultureInfo.InvariantCulture);
            canvas.DrawText(x - RasterCanvas.TextWidth(label, Scale) / 2, plotBottom + 12, label, s_text, Scale);
        }
        const string xLabel = "CONCURRENCY (CLOSED-LOOP WORKERS)";
        canvas.DrawText((plotLeft + plotRight - RasterCanvas.TextWidth(xLabel, Scale)) / 2, plotBottom + 36, xLabel, s_text, Scale);
        canvas.DrawLine(plotLeft, plotTop, plotLeft, plotBottom, Rgb.Black, 2);
        canvas.DrawLine(plotLeft, plotBottom, plotRight, plotBottom, Rgb.Black, 2);

        foreach (var s in series)
        {
            var points = s.Points.Where(p => double.IsFinite(p.Y)).Select(p => (X: X(p.X), Y: Y(p.Y))).ToList();
            for (int i = 1; i < points.Count; i++)
                canvas.DrawLine(points[i - 1].X, points[i - 1].Y, points[i].X, points[i].Y, s.Color, 3, s.Dashed ? 10 : 0);
            foreach (var (x, y) in points) Marker(canvas, x, y, s.Color, s.SquareMarkers);
        }
    }

    /// <summary>A point marker: a filled circle, or a filled square for the second series of a pair.</summary>
    public static void Marker(RasterCanvas canvas, double x, double y, Rgb color, bool square)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        if (square) canvas.FillRect((int)Math.Round(x) - 4, (int)Math.Round(y) - 4, 9, 9, color);
        else canvas.FillCircle(x, y, 5, color);
    }

    /// <summary>The axis top and tick step: a step of 1, 2, 2.5 or 5 × 10^k giving 4 to 8 intervals above
    /// <paramref name="max"/> (1 and 0.2 for an all-zero axis).</summary>
    public static (double Top, double Step) NiceScale(double max)
    {
        if (!(max > 0)) return (1, 0.2);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(max / 5)));
        foreach (double m in new[] { 1, 2, 2.5, 5, 10 })
        {
            double step = m * magnitude;
            if (max / step <= 6) return (Math.Ceiling(max / step * (1 + 1e-12)) * step, step);
        }
        return (Math.Ceiling(max / (10 * magnitude)) * 10 * magnitude, 10 * magnitude);
    }

    /// <summary>A tick label with as many decimals as the step needs.</summary>
    public static string FormatTick(double value, double step)
    {
        int decimals = 0;
        while (decimals < 6 && Math.Abs(step * Math.Pow(10, decimals) - Math.Round(step * Math.Pow(10, decimals))) > 1e-6) decimals++;
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }
}
