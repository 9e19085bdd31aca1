// The "attention" verb: times CpuBackend.AttentionDecode on the engine's decode shapes (demo Qwen2 D 16, Qwen2-0.5B
// D 64, Qwen2-7B D 128), over F32 and BF16 caches, and reports ns per (listed slot, kv head), the cost that grows with
// the number of streams.
using System.Diagnostics;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;

namespace DyCoke.Bench;

internal static class AttentionBench
{
    // The cache always holds 16 sequences' slots, as the engine's does at 16 streams, so b = 1 is not helped by a
    // cache smaller than the one it would share.
    private const int CacheSequences = 16;

    private static readonly (string Name, int H, int Hkv, int D, int[] Lengths)[] s_configs =
    [
        ("demo Qwen2", 4, 2, 16, [450]),
        ("Qwen2-0.5B", 14, 2, 64, [450, 6273]),
        ("Qwen2-7B", 28, 4, 128, [450, 6273]),
    ];

    public static int Run(string[] args)
    {
        var options = new BenchArgs(args, "threads", "seconds-ms", "d", "kv-dtype");
        DType[] kvTypes = (options.String("kv-dtype") ?? "both") switch
        {
            "float32" => [DType.F32],
            "bfloat16" => [DType.BF16],
            "both" => [DType.F32, DType.BF16],
            var other => throw new ArgumentException($"--kv-dtype expects float32, bfloat16 or both, got '{other}'"),
        };
        int threads = options.Int("threads", 1);
        string? onlyText = options.String("d");
        int onlyD = onlyText is null ? 0 : options.Int("d", 0); // 0: every config
        double minSeconds = options.Int("seconds-ms", 500) / 1e3;
        Console.WriteLine($"AttentionDecode, {threads} thread(s), ≥ {minSeconds:F1} s per row; times are the fastest of ~20 ms batches " +
            (threads == 1 ? "(thread CPU time)" : "(wall time)"));
        Console.WriteLine($"| {"config",-11} | {"H",3} | {"Hkv",3} | {"D",4} | {"KV",4} | {"b",3} | {"n",5} | {"meanProbs",9} | {"µs/call",10} | {"ns/(slot,kvh)",13} |");
        Console.WriteLine($"|{new string('-', 13)}|{new string('-', 5)}|{new string('-', 5)}|{new string('-', 6)}|{new string('-', 6)}|{new string('-', 5)}|{new string('-', 7)}|{new string('-', 11)}|{new string('-', 12)}|{new string('-', 15)}|");
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = threads });
        foreach (var (name, h, hkv, d, lengths) in s_configs)
        {
            if (onlyD != 0 && d != onlyD) continue;
            foreach (int n in lengths)
            foreach (var kvType in kvTypes)
            {
                long s = (long)CacheSequences * n;
                using var kCache = RandomTensor(new Shape(s, hkv, d), 1, kvType); // [S, Hkv, D]
                using var vCache = RandomTensor(new Shape(s, hkv, d), 2, kvType); // [S, Hkv, D]
                foreach (int b in new[] { 1, 16 })
                {
                    using var q = RandomTensor(new Shape(b, h, d), 3, DType.F32); // [B, H, D]
                    using var output = Tensor.Cpu(DType.F32, new Shape(b, h, d)); // [B, H, D]
                    var indptr = new int[b + 1]; // [B + 1]
                    var indices = new int[b * n]; // [nnz]: sequence i owns slots [i·n, (i + 1)·n)
                    for (int i = 0; i < b; i++) indptr[i + 1] = (i + 1) * n;
                    for (int j = 0; j < indices.Length; j++) indices[j] = j;
                    using var indptrT = Tensor.FromArray(indptr, new Shape(b + 1));
                    using var indicesT = Tensor.FromArray(indices, new Shape(indices.Length));
                    using var meanProbs = Tensor.Cpu(DType.F32, new Shape(indices.Length)); // [nnz]
                    float scale = 1f / MathF.Sqrt(d);
                    foreach (bool withMean in new[] { false, true })
                    {
                        Tensor? mean = withMean ? meanProbs : null;
                        double seconds = TimeCall(() => backend.AttentionDecode(q, kCache, vCache, indptrT, indicesT, scale, output, mean), threads == 1, minSeconds);
                        double ns = seconds * 1e9 / ((double)b * n * hkv);
                        Console.WriteLine($"| {name,-11} | {h,3} | {hkv,3} | {d,4} | {(kvType == DType.F32 ? "F32" : "BF16"),4} | {b,3} | {n,5} | {(withMean ? "yes" : "no"),9} | {seconds * 1e6,10:F2} | {ns,13:F2} |");
                    }
                }
            }
        }
        return 0;
    }

    /// <summary>
    /// Seconds per call in the fastest batch of about 20 ms, over at least <paramref name="minSeconds"/>: on a machine
    /// shared with builds, the fastest batch is the one least disturbed by other processes' use of the caches and core.
    /// </summary>
    private static double TimeCall(Action call, bool threadTime, double minSeconds)
    {
        // Warm up and size a batch to ~20 ms.
        call();
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < 0.02) { call(); calls++; }
        int batch = Math.Max(1, calls);
        var samples = new List<double>();
        long total = Stopwatch.GetTimestamp();
        while (samples.Count < 5 || Stopwatch.GetElapsedTime(total).TotalSeconds < minSeconds)
        {
            double cpu0 = threadTime ? ThreadClock.CpuMs() : 0;
            long wall0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++) call();
            double elapsed = threadTime ? (ThreadClock.CpuMs() - cpu0) / 1e3 : Stopwatch.GetElapsedTime(wall0).TotalSeconds;
            samples.Add(elapsed / batch);
        }
        return samples.Min();
    }

    private static Tensor RandomTensor(Shape shape, int seed, DType dtype)
    {
        var rng = new Random(seed);
        using var f32 = Tensor.Cpu(DType.F32, shape);
        var span = f32.Span<float>();
        for (int i = 0; i < span.Length; i++) span[i] = rng.NextSingle() * 2 - 1;
        var t = Tensor.Cpu(dtype, shape);
        if (dtype == DType.F32) span.CopyTo(t.Span<float>());
        else DTypeConversion.ConvertF32ToBF16(span, t.Span<ushort>());
        return t;
    }
}
