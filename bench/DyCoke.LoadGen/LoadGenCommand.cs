// The command as a whole: parse the arguments, run the sweep, print a Markdown summary table and write the JSON
// report and the PNG plot. Callable in-process, which is how the end-to-end test drives it.
using System.Globalization;
using System.Text.Json;
using DyCoke.LoadGen.Plot;

namespace DyCoke.LoadGen;

/// <summary>Runs dycoke-loadgen.</summary>
internal static class LoadGenCommand
{
    /// <summary>Exit code for bad arguments.</summary>
    public const int UsageError = 2;

    /// <summary>Runs the command line <paramref name="args"/>; returns the exit code (0 ok, 1 the sweep failed or
    /// had failed requests, 2 bad arguments).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is ["-h"] or ["--help"])
        {
            output.WriteLine(LoadGenOptions.Usage);
            return 0;
        }
        LoadGenOptions options;
        try
        {
            options = LoadGenOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"dycoke-loadgen: {e.Message}");
            error.WriteLine(LoadGenOptions.Usage);
            return UsageError;
        }

        SweepReport report;
        try
        {
            report = await SweepRunner.RunAsync(options, args, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or FileNotFoundException or JsonException)
        {
            error.WriteLine($"dycoke-loadgen: {e.Message}");
            return 1;
        }

        WriteTable(report, output);
        if (options.JsonPath is { } json)
        {
            CreateFolderOf(json);
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, LoadGenJsonContext.Default.SweepReport) + "\n", cancellationToken).ConfigureAwait(false);
            output.WriteLine($"wrote {json}");
        }
        if (options.PngPath is { } png)
        {
            CreateFolderOf(png);
            await File.WriteAllBytesAsync(png, PngEncoder.Encode(SweepChart.Render(report)), cancellationToken).ConfigureAwait(false);
            output.WriteLine($"wrote {png}");
        }
        return report.Levels.Any(l => l.Failed > 0) ? 1 : 0;
    }

    /// <summary>One Markdown row per level, ready to paste into docs/benchmarks.md.</summary>
    public static void WriteTable(SweepReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine();
        output.WriteLine("| C | DyCoke | ok / err | out tok/s | req/s | videos/min | TTFT p50 / p90 / p99 ms | ITL p50 / p90 / p99 ms | e2e p50 / p90 ms | video tok |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        var inv = CultureInfo.InvariantCulture;
        foreach (var l in report.Levels)
        {
            output.WriteLine(string.Create(inv,
                $"| {l.Concurrency} | {l.Dycoke} | {l.Succeeded} / {l.Failed} | {l.OutputTokensPerS:F1} | {l.RequestsPerS:F2} | {l.VideosPerMin:F1} | " +
                $"{l.TtftMs.P50:F0} / {l.TtftMs.P90:F0} / {l.TtftMs.P99:F0} | {l.ItlMs.P50:F1} / {l.ItlMs.P90:F1} / {l.ItlMs.P99:F1} | " +
                $"{l.E2eMs.P50:F0} / {l.E2eMs.P90:F0} | {(l.VideoTokensMean is { } v ? v.ToString("F0", inv) : "-")} |"));
        }
        output.WriteLine();
    }

    private static void CreateFolderOf(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
    }
}
