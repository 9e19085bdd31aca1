// The "gemm" verb: times CPU Linear (x[M,K]·W[N,K]ᵀ) with the managed kernel (F32 and F16 weights), OpenBLAS sgemm,
// OpenBLAS on F16 weights widened per call, and PyTorch (bench/torch_gemm.py), against a memory-copy baseline.
using System.Diagnostics;
using System.Text.Json;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cpu.Gemm;
using DyCoke.Tensors.Cpu.Interop;

namespace DyCoke.Bench;

internal static unsafe class GemmBench
{
    // Decode (M = 1), a short chunk, a prefill chunk (Qwen2-0.5B MLP up-projection) and SigLIP's MLP (729 patches).
    private static readonly (int M, int K, int N)[] s_shapes = [(1, 896, 4864), (16, 896, 4864), (512, 896, 4864), (729, 1152, 4304)];

    // Shapes with M ≤ 16 are bandwidth-sensitive: cycling through this many bytes of weight copies keeps them out of
    // the (105 MB) L3, as in a real model whose layers' weights do not fit in cache.
    private const long RotateBytes = 384L << 20;
    private const long CopyBytes = 256L << 20;

    internal sealed record Result(string Shape, int M, int K, int N, string Impl, string Weights, double MedianMs,
        double GFlops, double GBps, double? VsOpenBlas, double? FractionOfCopy);

    /// <summary>The --json document (a named type so the trimmed GPU harness can serialize it without reflection).</summary>
    internal sealed record Report(string Cpu, int LogicalProcessors, int Threads, int Reps, string ManagedKernel,
        string? OpenBlas, double CopyGBps, string DateUtc, List<Result> Results);

    public static int Run(string[] args)
    {
        var options = new BenchArgs(args, "threads", "reps", "json", "shapes");
        string shapes = options.String("shapes") ?? "default";
        if (shapes == "decode")
            return GemmDecodeBench.Run(options.Int("threads", 1), options.Int("reps", 9));
        if (shapes != "default")
            throw new ArgumentException($"--shapes expects 'default' or 'decode', got '{shapes}'");
        int threads = options.Int("threads", 2);
        int reps = options.Int("reps", 9);
        string? jsonPath = options.String("json");

        bool haveBlas = OpenBlas.TryLoad(out string? blasError);
        string cpu = CpuModel();
        Console.WriteLine($"CPU: {cpu} ({Environment.ProcessorCount} logical processors); {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"threads {threads}, reps {reps} (median); managed kernel {ManagedLinear.KernelName}; " +
            (haveBlas ? OpenBlas.Config.Trim() : $"OpenBLAS unavailable: {blasError}"));

        double copyGBps = MeasureCopy(threads, reps);
        Console.WriteLine($"memory copy ({CopyBytes >> 20} MiB, read+write): {copyGBps:F1} GB/s");

        var results = new List<Result>();
        using var managed = new CpuBackend(new CpuBackendOptions { Threads = threads, Gemm = CpuGemmKind.Managed });
        using var blas = haveBlas ? new CpuBackend(new CpuBackendOptions { Threads = threads, Gemm = CpuGemmKind.OpenBlas }) : null;
        foreach (var (m, k, n) in s_shapes)
        {
            using var x = RandomTensor(new Shape(m, k), DType.F32, 1); // [M, K]
            using var y = Tensor.Cpu(DType.F32, new Shape(m, n));       // [M, N]
            var shapeResults = new List<Result>();
            foreach (DType dtype in new[] { DType.F32, DType.F16 })
            {
                Tensor[] weights = WeightCopies(m, n, k, dtype); // each [N, K]
                try
                {
                    double managedS = TimeMedian(i => managed.Linear(x, weights[i], null, y), weights.Length, reps);
                    shapeResults.Add(Make(m, k, n, "managed", dtype, managedS, weights[0].ByteCount));
                    if (blas != null && dtype == DType.F32)
                    {
                        double s = TimeMedian(i => blas.Linear(x, weights[i], null, y), weights.Length, reps);
                        shapeResults.Add(Make(m, k, n, "openblas", dtype, s, weights[0].ByteCount));
                    }
                    if (blas != null && dtype == DType.F16)
                    {
                        // The alternative Linear rejects for F16 weights on the OpenBLAS path: widen W each call, then sgemm.
                        using var wide = Tensor.Cpu(DType.F32, new Shape(n, k)); // [N, K]
                        double s = TimeMedian(i => WidenThenSgemm(x, weights[i], wide, y, threads), weights.Length, reps);
                        shapeResults.Add(Make(m, k, n, "openblas (widen+sgemm)", dtype, s, weights[0].ByteCount));
                    }
                }
                finally
                {
                    foreach (var w in weights) w.Dispose();
                }
            }
            results.AddRange(shapeResults);
        }
        results.AddRange(RunTorch(threads, reps));

        var table = Finish(results, copyGBps);
        PrintTable(table);
        if (jsonPath != null)
        {
            var doc = new Report(cpu, Environment.ProcessorCount, threads, reps, ManagedLinear.KernelName,
                haveBlas ? OpenBlas.Config.Trim() : null, copyGBps, DateTime.UtcNow.ToString("u"), table);
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(doc, BenchJsonContext.Default.Report));
            Console.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }

    private static Result Make(int m, int k, int n, string impl, DType dtype, double seconds, long weightBytes)
    {
        double flops = 2.0 * m * n * k;
        double bytes = weightBytes + 4.0 * m * k + 4.0 * m * n;
        return new Result($"{m}x{k}x{n}", m, k, n, impl, dtype.ToString(), seconds * 1e3, flops / seconds / 1e9, bytes / seconds / 1e9, null, null);
    }

    // Adds the ratio to OpenBLAS sgemm (F32) of the same shape, and for M = 1 the fraction of copy bandwidth.
    private static List<Result> Finish(List<Result> results, double copyGBps)
    {
        var output = new List<Result>();
        foreach (var r in results)
        {
            var blas = results.FirstOrDefault(b => b.Shape == r.Shape && b.Impl == "openblas" && b.Weights == "F32");
            double? ratio = blas == null ? null : blas.MedianMs / r.MedianMs;
            output.Add(r with { VsOpenBlas = ratio, FractionOfCopy = r.M == 1 ? r.GBps / copyGBps : null });
        }
        return output;
    }

    private static void PrintTable(List<Result> table)
    {
        Console.WriteLine();
        Console.WriteLine($"| {"M×K×N",-14} | {"implementation",-22} | {"W",-4} | {"ms",8} | {"GFLOP/s",8} | {"GB/s",7} | {"vs OpenBLAS",11} | {"of copy BW",10} |");
        Console.WriteLine($"|{new string('-', 16)}|{new string('-', 24)}|{new string('-', 6)}|{new string('-', 10)}|{new string('-', 10)}|{new string('-', 9)}|{new string('-', 13)}|{new string('-', 12)}|");
        foreach (var r in table)
        {
            string ratio = r.VsOpenBlas is double v ? $"{v:F2}×" : "";
            string copy = r.FractionOfCopy is double f ? $"{f:P0}" : "";
            Console.WriteLine($"| {r.Shape.Replace('x', '×'),-14} | {r.Impl,-22} | {r.Weights,-4} | {r.MedianMs,8:F3} | {r.GFlops,8:F1} | {r.GBps,7:F1} | {ratio,11} | {copy,10} |");
        }
    }

    private static void WidenThenSgemm(Tensor x, Tensor w, Tensor wide, Tensor y, int threads)
    {
        int n = (int)w.Shape[0], k = (int)w.Shape[1], m = (int)x.Shape[0];
        nint src = w.Pointer, dst = wide.Pointer;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long start = (long)n * k * t / threads, end = (long)n * k * (t + 1) / threads;
            ManagedLinear.Widen((ushort*)src + start, w.DType, (float*)dst + start, (nint)(end - start));
        });
        OpenBlas.LinearF32((float*)x.Pointer, (float*)wide.Pointer, (float*)y.Pointer, m, n, k, threads);
    }

    /// <summary>Median seconds per call; each sample runs over all weight copies (at least one call).</summary>
    private static double TimeMedian(Action<int> call, int copies, int reps)
    {
        for (int i = 0; i < Math.Max(2, copies); i++) call(i % copies);
        var samples = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < copies; i++) call(i);
            samples[r] = Stopwatch.GetElapsedTime(start).TotalSeconds / copies;
        }
        Array.Sort(samples);
        return samples[reps / 2];
    }

    private static Tensor[] WeightCopies(int m, int n, int k, DType dtype)
    {
        long bytes = (long)n * k * dtype.SizeOf();
        int copies = m <= 16 ? (int)((RotateBytes + bytes - 1) / bytes) : 1;
        var weights = new Tensor[copies];
        for (int i = 0; i < copies; i++) weights[i] = RandomTensor(new Shape(n, k), dtype, 100 + i);
        return weights;
    }

    private static Tensor RandomTensor(Shape shape, DType dtype, int seed)
    {
        var rng = new Random(seed);
        var t = Tensor.Cpu(dtype, shape);
        if (dtype == DType.F32)
        {
            var s = t.Span<float>();
            for (int i = 0; i < s.Length; i++) s[i] = rng.NextSingle() * 2 - 1;
        }
        else
        {
            var s = t.Span<ushort>();
            for (int i = 0; i < s.Length; i++) s[i] = DTypeConversion.SingleToF16(rng.NextSingle() * 2 - 1);
        }
        return t;
    }

    /// <summary>GB/s of a large parallel Buffer.MemoryCopy, counting bytes read plus bytes written.</summary>
    private static double MeasureCopy(int threads, int reps)
    {
        using var src = Tensor.Cpu(DType.U8, new Shape(CopyBytes));
        using var dst = Tensor.Cpu(DType.U8, new Shape(CopyBytes));
        src.Span<byte>().Fill(1);
        dst.Span<byte>().Fill(2);
        nint s = src.Pointer, d = dst.Pointer;
        double seconds = TimeMedian(_ => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long start = CopyBytes * t / threads, end = CopyBytes * (t + 1) / threads;
            Buffer.MemoryCopy((byte*)s + start, (byte*)d + start, end - start, end - start);
        }), 1, reps);
        return 2.0 * CopyBytes / seconds / 1e9;
    }

    private static List<Result> RunTorch(int threads, int reps)
    {
        var results = new List<Result>();
        string? script = FindScript();
        if (script == null || !File.Exists("/usr/bin/python3"))
        {
            Console.WriteLine("PyTorch baseline skipped: bench/torch_gemm.py or /usr/bin/python3 not found");
            return results;
        }
        string shapes = string.Join(",", s_shapes.Select(s => $"{s.M}x{s.K}x{s.N}"));
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, "--threads", $"{threads}", "--reps", $"{reps}", "--shapes", shapes, "--rotate-mb", $"{RotateBytes >> 20}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"PyTorch baseline failed (exit {process.ExitCode}): {stderr.Trim()}");
            return results;
        }
        using var json = JsonDocument.Parse(stdout);
        string version = json.RootElement.GetProperty("torch").GetString() ?? "?";
        foreach (var r in json.RootElement.GetProperty("results").EnumerateArray())
        {
            int m = r.GetProperty("m").GetInt32(), k = r.GetProperty("k").GetInt32(), n = r.GetProperty("n").GetInt32();
            results.Add(Make(m, k, n, $"torch {version}", DType.F32, r.GetProperty("median_s").GetDouble(), 4L * n * k));
        }
        return results;
    }

    private static string? FindScript()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "bench", "torch_gemm.py");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
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
