// The JSON report of one sweep: where it ran (machine, load, date), what it asked (command line, settings, server
// model), and every level's statistics. Source-generated serialisation, snake_case like the API it measures.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace DyCoke.LoadGen;

/// <summary>The whole report.</summary>
internal sealed record SweepReport
{
    public string Tool { get; init; } = "dycoke-loadgen";

    /// <summary>When the sweep started, ISO 8601 UTC.</summary>
    public string DateUtc { get; init; } = "";

    public MachineInfo Machine { get; init; } = new();

    /// <summary>The arguments as given.</summary>
    public IReadOnlyList<string> CommandLine { get; init; } = [];

    public string Url { get; init; } = "";

    /// <summary>The model id the requests named (from /v1/models unless --model was given).</summary>
    public string Model { get; init; } = "";

    public RunSettings Settings { get; init; } = new();

    public IReadOnlyList<LevelReport> Levels { get; init; } = [];
}

/// <summary>The request shape and the level bounds.</summary>
internal sealed record RunSettings
{
    /// <summary>The video_url sent (data: URLs shortened), or null for text-only prompts.</summary>
    public string? Video { get; init; }

    public int Frames { get; init; }

    public int MaxTokens { get; init; }

    public string Prompt { get; init; } = "";

    public int? RequestsPerLevel { get; init; }

    public double? DurationS { get; init; }

    public int Warmup { get; init; }
}

/// <summary>The client machine. The load average matters: on a shared host it says how noisy the numbers are.</summary>
internal sealed record MachineInfo
{
    public int Cores { get; init; }

    public string Os { get; init; } = "";

    public string Architecture { get; init; } = "";

    public string Runtime { get; init; } = "";

    /// <summary>The CPU model from /proc/cpuinfo, when readable.</summary>
    public string? Cpu { get; init; }

    /// <summary>1, 5 and 15-minute load averages from /proc/loadavg at the start and the end of the sweep.</summary>
    public double[]? LoadAverageStart { get; init; }

    public double[]? LoadAverageEnd { get; init; }

    /// <summary>This machine as far as the runtime and /proc tell.</summary>
    public static MachineInfo Describe() => new()
    {
        Cores = Environment.ProcessorCount,
        Os = RuntimeInformation.OSDescription,
        Architecture = RuntimeInformation.ProcessArchitecture.ToString(),
        Runtime = RuntimeInformation.FrameworkDescription,
        Cpu = CpuModel(),
        LoadAverageStart = LoadAverage(),
    };

    /// <summary>The 1, 5 and 15-minute load averages, or null off Linux.</summary>
    public static double[]? LoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return [.. parts.Take(3).Select(p => double.Parse(p, CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SweepReport))]
internal sealed partial class LoadGenJsonContext : JsonSerializerContext;
