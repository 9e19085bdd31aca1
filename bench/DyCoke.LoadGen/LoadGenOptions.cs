// The load generator's command line: "--name value" options and a few bare switches, checked up front so a typo
// fails before any request is sent rather than after a long sweep.
using System.Globalization;

namespace DyCoke.LoadGen;

/// <summary>What DyCoke setting a run asks the server for.</summary>
internal enum DyCokeMode
{
    /// <summary>Sends <c>"dycoke": {"enabled": true}</c>.</summary>
    On,

    /// <summary>Sends <c>"dycoke": {"enabled": false}</c>.</summary>
    Off,

    /// <summary>Sends no <c>dycoke</c> field: whatever the server is configured to do (or a server without DyCoke).</summary>
    Default,
}

/// <summary>One sweep's settings.</summary>
internal sealed record LoadGenOptions
{
    public const string Usage = """
        usage: dycoke-loadgen [options]
          --url URL                  server base address (default http://127.0.0.1:8000)
          --model ID                 model to ask for (default: the first one /v1/models lists)
          --concurrency LIST         closed-loop worker counts, e.g. 1,2,4,8,16 (default 1,2,4,8,16)
          --requests-per-level N     requests per level and DyCoke mode, shared by the workers (default 32)
          --duration SECONDS         instead of a count: keep sending for this long per level
          --video PATH_OR_URL        local file (sent as file:// URL), http(s)://, file:// or data: URL; omit for text only
          --inline                   send a local --video as a data: URL instead of a file:// URL
          --frames F                 media_io_kwargs.video.num_frames (default 8)
          --max-tokens N             output tokens per request, fixed with ignore_eos (default 64)
          --prompt TEXT              the text part (default "Describe what happens in this video.")
          --dycoke LIST              on, off and/or default (no field sent) (default on,off)
          --warmup N                 untimed requests per DyCoke mode before the sweep (default 1)
          --timeout SECONDS          per-request limit (default 600)
          --api-key KEY              bearer token
          --no-metrics               do not scrape GET /metrics around each level
          --json PATH                write the report as JSON
          --png PATH                 write a plot of tokens/s and TTFT against concurrency
        """;

    private static readonly string[] s_valued =
        ["url", "model", "concurrency", "requests-per-level", "duration", "video", "frames", "max-tokens", "prompt", "dycoke",
         "warmup", "timeout", "api-key", "json", "png"];

    private static readonly string[] s_switches = ["inline", "no-metrics"];

    public Uri Url { get; init; } = new("http://127.0.0.1:8000");

    public string? Model { get; init; }

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 2, 4, 8, 16];

    /// <summary>Requests per (level, mode); null when <see cref="Duration"/> bounds the level instead.</summary>
    public int? RequestsPerLevel { get; init; } = 32;

    public TimeSpan? Duration { get; init; }

    public string? Video { get; init; }

    public bool Inline { get; init; }

    public int Frames { get; init; } = 8;

    public int MaxTokens { get; init; } = 64;

    public string Prompt { get; init; } = "Describe what happens in this video.";

    public IReadOnlyList<DyCokeMode> DyCoke { get; init; } = [DyCokeMode.On, DyCokeMode.Off];

    public int Warmup { get; init; } = 1;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(600);

    public string? ApiKey { get; init; }

    public bool ScrapeMetrics { get; init; } = true;

    public string? JsonPath { get; init; }

    public string? PngPath { get; init; }

    /// <summary>Parses the command line (without the program name).</summary>
    /// <exception cref="ArgumentException">An unknown, repeated or malformed option, a missing value, or settings that
    /// contradict each other; the message names the option.</exception>
    public static LoadGenOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var switches = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : "";
            if (s_switches.Contains(name))
            {
                if (!switches.Add(name)) throw new ArgumentException($"option '{arg}' is given twice");
                continue;
            }
            if (!s_valued.Contains(name)) throw new ArgumentException($"unknown option '{arg}'");
            if (i + 1 >= args.Count) throw new ArgumentException($"option '{arg}' needs a value");
            if (!values.TryAdd(name, args[++i])) throw new ArgumentException($"option '{arg}' is given twice");
        }

        var options = new LoadGenOptions
        {
            Url = values.TryGetValue("url", out var url) ? ParseUrl(url) : new Uri("http://127.0.0.1:8000"),
            Model = values.GetValueOrDefault("model"),
            Concurrency = values.TryGetValue("concurrency", out var c) ? ParseConcurrency(c) : [1, 2, 4, 8, 16],
            Video = values.GetValueOrDefault("video"),
            Inline = switches.Contains("inline"),
            Frames = values.TryGetValue("frames", out var f) ? PositiveInt("frames", f) : 8,
            MaxTokens = values.TryGetValue("max-tokens", out var m) ? PositiveInt("max-tokens", m) : 64,
            Prompt = values.GetValueOrDefault("prompt") ?? "Describe what happens in this video.",
            DyCoke = values.TryGetValue("dycoke", out var d) ? ParseModes(d) : [DyCokeMode.On, DyCokeMode.Off],
            Warmup = values.TryGetValue("warmup", out var w) ? NonNegativeInt("warmup", w) : 1,
            Timeout = TimeSpan.FromSeconds(values.TryGetValue("timeout", out var t) ? PositiveSeconds("timeout", t) : 600),
            ApiKey = values.GetValueOrDefault("api-key"),
            ScrapeMetrics = !switches.Contains("no-metrics"),
            JsonPath = values.GetValueOrDefault("json"),
            PngPath = values.GetValueOrDefault("png"),
        };

        bool hasCount = values.TryGetValue("requests-per-level", out var n);
        bool hasDuration = values.TryGetValue("duration", out var seconds);
        if (hasCount && hasDuration) throw new ArgumentException("give either --requests-per-level or --duration, not both");
        if (hasDuration) options = options with { RequestsPerLevel = null, Duration = TimeSpan.FromSeconds(PositiveSeconds("duration", seconds!)) };
        else if (hasCount) options = options with { RequestsPerLevel = PositiveInt("requests-per-level", n!) };

        // With fewer requests than workers a level never reaches its nominal concurrency, and its numbers would lie.
        if (options.RequestsPerLevel is { } count && count < options.Concurrency.Max())
            throw new ArgumentException($"--requests-per-level {count} is below the highest --concurrency {options.Concurrency.Max()}");
        if (options.Inline && (options.Video is null || VideoSource.IsUrl(options.Video)))
            throw new ArgumentException("--inline needs --video to name a local file");
        if (options.Prompt.Length == 0) throw new ArgumentException("--prompt must not be empty");
        return options;
    }

    private static Uri ParseUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--url expects an http:// or https:// address, got '{text}'");
        return uri;
    }

    private static List<int> ParseConcurrency(string text)
    {
        var levels = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int level = PositiveInt("concurrency", part);
            if (levels.Contains(level)) throw new ArgumentException($"--concurrency lists {level} twice");
            levels.Add(level);
        }
        return levels;
    }

    private static List<DyCokeMode> ParseModes(string text)
    {
        var modes = new List<DyCokeMode>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var mode = part switch
            {
                "on" => DyCokeMode.On,
                "off" => DyCokeMode.Off,
                "default" => DyCokeMode.Default,
                _ => throw new ArgumentException($"--dycoke expects on, off or default, got '{part}'"),
            };
            if (modes.Contains(mode)) throw new ArgumentException($"--dycoke lists '{part}' twice");
            modes.Add(mode);
        }
        return modes;
    }

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new ArgumentException($"--{name} expects a positive integer, got '{text}'");

    private static int NonNegativeInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"--{name} expects a non-negative integer, got '{text}'");

    private static double PositiveSeconds(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentException($"--{name} expects a positive number of seconds, got '{text}'");
}
