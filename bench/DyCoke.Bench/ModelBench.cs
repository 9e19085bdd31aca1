// The "model" verb (issue 4, item 6): times the LLaVA-OneVision forward stages on the CPU backend (Qwen2-0.5B-shaped
// prefill of 512 and 3,000 tokens, one decode step over 6,300 cached tokens, one SigLIP frame) and the same stages in
// PyTorch CPU (bench/torch_model.py) on the same random-weight checkpoint and thread count, in the same run.
using System.Diagnostics;
using System.Text.Json;
using DyCoke.Model.Llava;
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;

namespace DyCoke.Bench;

internal static class ModelBench
{
    private const string DefaultCheckpoint = "/tmp/dycoke-bench-0.5b";
    private const string ConfigPath = "tests/fixtures/configs/llava-onevision-qwen2-0.5b-ov.config.json";
    private const int LongPrefill = 1000; // prefills above this many tokens get --long-reps and no warm-up

    internal sealed record OpTime(string Op, double Ms, int Calls);

    internal sealed record Stage(string Name, int Tokens, double OursMs, double[] OursSamplesMs, double? TorchMs,
        double[]? TorchSamplesMs, double? Ratio, List<OpTime>? Breakdown);

    /// <summary>The --json document.</summary>
    internal sealed record Report(string Cpu, int LogicalProcessors, int Threads, int Reps, int LongReps, string Checkpoint,
        string Backend, string? Torch, string DateUtc, string LoadAverageBefore, string LoadAverageAfter, string Load,
        double? TorchLoadS, string Note, List<Stage> Stages);

    private const string Note =
        "weights F16 on disk (as on the hub); ours computes in F32 reading the F16 memory map directly, torch widens " +
        "every weight to F32 once at load. Decode: the cached K/V rows are random values on both sides (a step " +
        "costs the same whatever they hold). Torch runs in a child process that is idle while ours runs; the sides " +
        "alternate rep by rep. Other processes on the machine add noise: compare within one run only.";

    /// <summary>Runs the verb; returns the process exit code.</summary>
    /// <exception cref="ArgumentException">An option is unknown or malformed.</exception>
    public static int Run(string[] args)
    {
        var options = new BenchArgs(args, "threads", "reps", "long-reps", "json", "checkpoint", "prefill", "decode-context", "profile", "torch");
        int threads = options.Int("threads", 2);
        int reps = options.Int("reps", 3);
        int longReps = options.Int("long-reps", 1);
        int decodeContext = options.Int("decode-context", 6300);
        int[] prefills = (options.String("prefill") ?? "512,3000").Split(',').Select(s => int.TryParse(s, out int n) && n > 0
            ? n : throw new ArgumentException($"--prefill expects comma-separated positive token counts, got '{s}'")).ToArray();
        bool profile = (options.String("profile") ?? "1") != "0";
        bool runTorch = (options.String("torch") ?? "1") != "0";
        string? jsonPath = options.String("json");
        string checkpoint = options.String("checkpoint") ?? EnsureDefaultCheckpoint();

        string cpu = CpuModel();
        string loadBefore = LoadAverage();
        Console.WriteLine($"CPU: {cpu} ({Environment.ProcessorCount} logical processors); {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {loadBefore}");
        Console.WriteLine($"threads {threads}, reps {reps} (median after 1 warm-up), prefills > {LongPrefill} tokens: {longReps} rep(s), no warm-up");

        string? script = runTorch ? FindRepoFile("bench/torch_model.py") : null;
        if (runTorch && script is null) Console.WriteLine("PyTorch baseline skipped: bench/torch_model.py not found");
        if (script is not null) Console.WriteLine("starting the PyTorch worker (reads the checkpoint and widens it to F32) ...");
        // Loaded before ours and idle while ours runs: the two sides alternate rep by rep, never overlap.
        using var torch = script is null ? null : TorchModelWorker.Start(script, checkpoint, threads, Math.Max(prefills.Max(), decodeContext + 1));
        if (torch is not null) Console.WriteLine($"torch {torch.Version}: {torch.Threads} threads, loaded in {torch.LoadSeconds:F1} s");

        var stages = new List<Stage>();
        string backendName, loadText;
        using (var cpuBackend = new CpuBackend(new CpuBackendOptions { Threads = threads }))
        {
            var timing = new TimingBackend(cpuBackend);
            IBackend backend = profile ? timing : cpuBackend;
            using var model = LlavaOnevisionModel.Load(checkpoint, backend);
            backendName = cpuBackend.Name;
            loadText = model.LoadSummary.ToString();
            Console.WriteLine($"ours: {loadText}");
            using var stageRunner = new StageRunner(model, profile ? timing : null, torch, reps, longReps);
            foreach (int n in prefills) stages.Add(stageRunner.Prefill(n));
            stages.Add(stageRunner.Decode(decodeContext));
            stages.Add(stageRunner.Siglip());
        }
        string? torchVersion = torch?.Version;
        double? torchLoadS = torch?.LoadSeconds;
        string loadAfter = LoadAverage();

        PrintTable(stages, torchVersion);
        if (profile) PrintBreakdowns(stages);
        Console.WriteLine($"load average before {loadBefore}, after {loadAfter}");
        Console.WriteLine($"note: {Note}");
        if (jsonPath != null)
        {
            var report = new Report(cpu, Environment.ProcessorCount, threads, reps, longReps, checkpoint, backendName, torchVersion,
                DateTime.UtcNow.ToString("u"), loadBefore, loadAfter, loadText, torchLoadS, Note, stages);
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, BenchJsonContext.Default.ModelReport));
            Console.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }

    /// <summary>Times each stage on one loaded model; with a timing backend, also records the last rep's op breakdown.</summary>
    private sealed class StageRunner(LlavaOnevisionModel model, TimingBackend? timing, TorchModelWorker? torch, int reps, int longReps) : IDisposable
    {
        private readonly IBackend _backend = model.Backend;
        private readonly Qwen2Model _lm = model.LanguageModel;
        private readonly Random _random = new(1);
        private KvCache? _cache;

        public Stage Prefill(int tokens)
        {
            var ids = new int[tokens]; // [T]
            for (int i = 0; i < ids.Length; i++) ids[i] = _random.Next(_lm.Config.VocabSize);
            var positions = Enumerable.Range(0, tokens).ToArray(); // [T], also the slots
            var cache = Cache(tokens);
            bool isLong = tokens > LongPrefill;
            return Measure("prefill", tokens, isLong ? 0 : 1, isLong ? longReps : reps, () =>
            {
                using var idTensor = _backend.UploadInts(ids); // [T]
                using var embeds = _lm.Embed(idTensor); // [T, C]
                using var batch = PrefillBatch.Create(_backend, [tokens], positions, positions);
                using var logits = _lm.Prefill(embeds, batch, cache); // [1, V]
            });
        }

        public Stage Decode(int context)
        {
            var cache = Cache(context + 1);
            FillRandom(cache, context);
            using var batch = DecodeBatch.Create(_backend, [_random.Next(_lm.Config.VocabSize)], [context], [context]);
            using var lists = FullKvLists.Create(_backend, [Enumerable.Range(0, context + 1).ToArray()]); // [T + 1] slots
            return Measure("decode", context, 1, reps, () =>
            {
                using var logits = _lm.Decode(batch, cache, lists); // [1, V]
            });
        }

        public Stage Siglip()
        {
            var config = model.VisionTower.Config;
            using var pixels = SyntheticFrame(config.NumChannels, config.ImageSize); // [1, Ch, S, S]
            return Measure("siglip", config.NumPatches, 1, reps, () =>
            {
                using var features = model.VisionTower.Forward(pixels); // [1, P, C]
            });
        }

        // Warm-up on both sides, then rep i of ours immediately followed by rep i of torch, so both see the same load.
        private Stage Measure(string name, int tokens, int warmup, int count, Action call)
        {
            for (int i = 0; i < warmup; i++) call();
            if (warmup > 0) torch?.Run(name, tokens, warmup, 0);
            var samples = new double[count];
            var torchSamples = new List<double>(count);
            for (int i = 0; i < count; i++)
            {
                timing?.Reset();
                long start = Stopwatch.GetTimestamp();
                call();
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (torch is not null) torchSamples.AddRange(torch.Run(name, tokens, 0, 1));
            }
            var breakdown = timing?.Totals.Select(t => new OpTime(t.Op, t.Ms, t.Calls)).ToList();
            double median = Median(samples);
            Console.WriteLine($"ours  {name} {tokens}: median {median,9:F1} ms of [{Join(samples)}]");
            if (torch is null) return new Stage(name, tokens, median, samples, null, null, null, breakdown);
            double torchMedian = Median(torchSamples.ToArray());
            Console.WriteLine($"torch {name} {tokens}: median {torchMedian,9:F1} ms of [{Join(torchSamples)}]");
            return new Stage(name, tokens, median, samples, torchMedian, torchSamples.ToArray(), median / torchMedian, breakdown);
        }

        private static string Join(IEnumerable<double> samples) => string.Join(", ", samples.Select(s => s.ToString("F1")));

        // One cache for every stage, grown when a stage needs more slots.
        private KvCache Cache(int slots)
        {
            if (_cache is null || _cache.NumSlots < slots)
            {
                _cache?.Dispose();
                _cache = _lm.CreateKvCache(slots);
            }
            return _cache;
        }

        public void Dispose() => _cache?.Dispose();

        // Uniform [−1, 1) K and V in slots [0, count) of every layer: decode time does not depend on the values.
        private void FillRandom(KvCache cache, int count)
        {
            for (int layer = 0; layer < cache.NumLayers; layer++)
            {
                foreach (var pool in new[] { cache.Keys(layer), cache.Values(layer) })
                {
                    var rows = pool.Rows(0, count).Span<float>(); // [count, Hkv, D]
                    for (int i = 0; i < rows.Length; i++) rows[i] = _random.NextSingle() * 2 - 1;
                }
            }
        }
    }

    // The reference scripts' synthetic frame 0 (tools/reference/README.md, "Inputs"): host F32 [1, Ch, S, S].
    private static Tensor SyntheticFrame(int channels, int size)
    {
        var pixels = Tensor.Cpu(DType.F32, new Shape(1, channels, size, size)); // [1, Ch, S, S]
        var span = pixels.Span<float>();
        for (int c = 0; c < channels; c++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            span[(c * size + y) * size + x] = (7 * x + 13 * y + 50 * c + ((x * y) >> 5)) % 256 / 127.5f - 1f;
        return pixels;
    }

    private static void PrintTable(List<Stage> stages, string? torchVersion)
    {
        Console.WriteLine();
        Console.WriteLine($"| {"stage",-28} | {"ours ms",9} | {"torch ms",9} | {"ours/torch",10} |");
        Console.WriteLine($"|{new string('-', 30)}|{new string('-', 11)}|{new string('-', 11)}|{new string('-', 12)}|");
        foreach (var s in stages)
        {
            string torch = s.TorchMs is { } t ? t.ToString("F1") : "-";
            string ratio = s.Ratio is { } r ? $"{r:F2}×" : "-";
            Console.WriteLine($"| {Describe(s),-28} | {s.OursMs,9:F1} | {torch,9} | {ratio,10} |");
        }
        Console.WriteLine(torchVersion is null ? "(no PyTorch baseline)" : $"(torch {torchVersion}; target ours/torch ≤ 1.2×)");
    }

    private static void PrintBreakdowns(List<Stage> stages)
    {
        foreach (var s in stages)
        {
            if (s.Breakdown is null) continue;
            double sum = s.Breakdown.Sum(o => o.Ms);
            double last = s.OursSamplesMs[^1];
            Console.WriteLine();
            Console.WriteLine($"ours {Describe(s)}, last rep {last:F1} ms, of which in backend ops {sum:F1} ms:");
            foreach (var o in s.Breakdown.Where(o => o.Ms >= 0.005 * sum))
                Console.WriteLine($"  {o.Op,-34} {o.Ms,9:F1} ms {100 * o.Ms / last,5:F1} %  ({o.Calls} calls)");
        }
    }

    private static string Describe(Stage s) => s.Name switch
    {
        "prefill" => $"LM prefill {s.Tokens:N0} tokens",
        "decode" => $"LM decode, {s.Tokens:N0} cached",
        "siglip" => $"SigLIP frame ({s.Tokens} patches)",
        _ => s.Name,
    };

    private static double Median(double[] samples)
    {
        var sorted = samples.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // The real-0.5B-shape random checkpoint, written once by tools/reference/random_checkpoint.py (seed 0, ~1.8 GB).
    private static string EnsureDefaultCheckpoint()
    {
        if (File.Exists(Path.Combine(DefaultCheckpoint, "model.safetensors")) && File.Exists(Path.Combine(DefaultCheckpoint, "config.json")))
            return DefaultCheckpoint;
        string? writer = FindRepoFile("tools/reference/random_checkpoint.py");
        string? config = FindRepoFile(ConfigPath);
        if (writer == null || config == null)
            throw new ArgumentException($"no checkpoint at {DefaultCheckpoint} and the repository's random_checkpoint.py or {ConfigPath} was not found; pass --checkpoint DIR");
        Console.WriteLine($"writing the random 0.5B-shape checkpoint to {DefaultCheckpoint} (once, ~1.8 GB) ...");
        using var process = Process.Start("/usr/bin/python3", [writer, "--config", config, "--seed", "0", "--out", DefaultCheckpoint])!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"random_checkpoint.py failed with exit code {process.ExitCode}");
        return DefaultCheckpoint;
    }

    private static string? FindRepoFile(string relativePath)
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
