// The "gemm --shapes decode" option: times CPU Linear on the engine's decode-step shapes (M = 1 and 16 rows) of the
// demo checkpoint (weights cache-resident) and of Qwen2-0.5B (weights streamed from DRAM), managed vs OpenBLAS.
using System.Diagnostics;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cpu.Gemm;
using DyCoke.Tensors.Cpu.Interop;

namespace DyCoke.Bench;

internal static class GemmDecodeBench
{
    // (K, N) of the demo Qwen2 (hidden 64, intermediate 192, vocabulary 640): q/o, k/v, gate/up, down, head.
    private static readonly (int K, int N)[] s_demo = [(64, 64), (64, 32), (64, 192), (192, 64), (64, 640)];

    // (K, N) of Qwen2-0.5B: q/o, k/v, gate/up, down, head.
    private static readonly (int K, int N)[] s_qwen05 = [(896, 896), (896, 128), (896, 4864), (4864, 896), (896, 151936)];

    private static readonly int[] s_rows = [1, 16];

    // The 0.5B weights rotate through this many bytes of copies so each call reads W from DRAM, as in the model.
    private const long RotateBytes = 384L << 20;

    // Each timed sample of a cache-resident shape runs about this much work, so timer resolution does not matter.
    private const double SampleFlops = 200e6;

    public static int Run(int threads, int reps)
    {
        bool haveBlas = OpenBlas.TryLoad(out string? blasError);
        Console.WriteLine($"decode shapes; threads {threads}, reps {reps} (median); managed kernel {ManagedLinear.KernelName}; " +
            (haveBlas ? OpenBlas.Config.Trim() : $"OpenBLAS unavailable: {blasError}"));
        Console.WriteLine(threads == 1 ? "time: CPU time of the calling thread (excludes time other processes took the core)"
            : "time: wall clock");
        using var managed = new CpuBackend(new CpuBackendOptions { Threads = threads, Gemm = CpuGemmKind.Managed });
        using var blas = haveBlas ? new CpuBackend(new CpuBackendOptions { Threads = threads, Gemm = CpuGemmKind.OpenBlas }) : null;

        Console.WriteLine();
        Console.WriteLine($"| {"model",-6} | {"M",2} | {"K",5} | {"N",6} | {"managed µs",10} | {"GFLOP/s",7} | {"OpenBLAS µs",11} | {"GFLOP/s",7} | {"managed / OpenBLAS time",7} |");
        Console.WriteLine("|--------|----|-------|--------|------------|---------|-------------|---------|-------------------------|");
        foreach (var (model, shapes, rotate) in new[] { ("demo", s_demo, false), ("0.5B", s_qwen05, true) })
            foreach (int m in s_rows)
                foreach (var (k, n) in shapes)
                {
                    using var x = Random(new Shape(m, k), 1);                 // [M, K]
                    using var y = Tensor.Cpu(DType.F32, new Shape(m, n));     // [M, N]
                    Tensor[] weights = Copies(n, k, rotate);                   // each [N, K]
                    try
                    {
                        double flops = 2.0 * m * n * k;
                        int calls = rotate ? weights.Length : (int)Math.Clamp(SampleFlops / flops, 1, 1_000_000);
                        double managedUs = Time(i => managed.Linear(x, weights[i % weights.Length], null, y), calls, reps, threads);
                        double blasUs = blas == null ? double.NaN
                            : Time(i => blas.Linear(x, weights[i % weights.Length], null, y), calls, reps, threads);
                        Console.WriteLine($"| {model,-6} | {m,2} | {k,5} | {n,6} | {managedUs,10:F2} | {flops / managedUs / 1e3,7:F1} | " +
                            $"{blasUs,11:F2} | {flops / blasUs / 1e3,7:F1} | {managedUs / blasUs,23:F2} |");
                    }
                    finally
                    {
                        foreach (var w in weights) w.Dispose();
                    }
                }
        return 0;
    }

    /// <summary>Median µs per call over <paramref name="reps"/> samples of <paramref name="calls"/> calls, after a warm-up sample.</summary>
    private static double Time(Action<int> call, int calls, int reps, int threads)
    {
        for (int i = 0; i < Math.Max(2, calls); i++) call(i);
        var samples = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            double cpu0 = ThreadClock.CpuMs();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) call(i);
            double ms = threads == 1 ? ThreadClock.CpuMs() - cpu0 : Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            samples[r] = ms * 1e3 / calls;
        }
        Array.Sort(samples);
        return samples[reps / 2];
    }

    private static Tensor[] Copies(int n, int k, bool rotate)
    {
        long bytes = 4L * n * k;
        int copies = rotate ? (int)Math.Max(1, (RotateBytes + bytes - 1) / bytes) : 1;
        var weights = new Tensor[copies];
        for (int i = 0; i < copies; i++) weights[i] = Random(new Shape(n, k), 100 + i);
        return weights;
    }

    private static Tensor Random(Shape shape, int seed)
    {
        var rng = new Random(seed);
        var t = Tensor.Cpu(DType.F32, shape);
        var s = t.Span<float>();
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextSingle() * 2 - 1;
        return t;
    }
}
