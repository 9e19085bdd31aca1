// The "simd" verb: 256- and 512-bit vector FMA throughput of 1..N threads running independent chains, i.e. how
// much a second core adds to vector math on this host. A guest whose vCPUs share a physical core (SMT siblings) or a
// throttled host shows up here as far less than N× with N threads, and bounds every parallel speed-up the CPU backend
// can show (the engine's 16-stream scaling included).
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DyCoke.Bench;

internal static class SimdBench
{
    /// <summary>Options: --threads N (all cores; every count 1..N is measured), --ms M (200 per measurement), --reps R
    /// (9; the best and the median are shown: a shared host's steal time shows as a gap between them). Both 256- and
    /// 512-bit vectors where the CPU accelerates them.</summary>
    public static int Run(string[] args)
    {
        var options = new BenchArgs(args, "threads", "ms", "reps");
        int maxThreads = options.Int("threads", Environment.ProcessorCount), ms = options.Int("ms", 200), reps = options.Int("reps", 9);
        Console.WriteLine($"simd bench: 16 independent FMA chains per thread, {Environment.ProcessorCount} cores");
        var widths = new List<(int Bits, Func<long, float> Chains)>();
        if (Vector256.IsHardwareAccelerated) widths.Add((256, Chains256));
        if (Vector512.IsHardwareAccelerated) widths.Add((512, Chains512));
        if (widths.Count == 0)
        {
            Console.WriteLine("  neither 256- nor 512-bit vectors are hardware-accelerated here");
            return 0;
        }
        Console.WriteLine("   bits  threads  G vector FMA/s (best / median)  G lane FMA/s (best)  best vs 1 thread  median vs 1 thread");
        foreach (var (bits, chains) in widths)
        {
            long iterations = Calibrate(chains, ms);
            double oneBest = 0, oneMedian = 0;
            for (int threads = 1; threads <= maxThreads; threads++)
            {
                var runs = Enumerable.Range(0, reps).Select(_ => Measure(chains, threads, iterations)).Order().ToList();
                double best = runs[^1], median = runs[runs.Count / 2];
                if (threads == 1) (oneBest, oneMedian) = (best, median);
                Console.WriteLine($"  {bits,5}  {threads,7}  {best,15:F2} / {median,6:F2}  {best * bits / 32,19:F1}  {best / oneBest,15:F2}×  {median / oneMedian,17:F2}×");
            }
        }
        return 0;
    }

    // Iterations of `chains` that take about `ms` milliseconds on one thread.
    private static long Calibrate(Func<long, float> chains, int ms)
    {
        chains(1_000);
        var clock = Stopwatch.StartNew();
        chains(1_000_000);
        return Math.Max(1_000_000, (long)(1_000_000 * ms / Math.Max(clock.Elapsed.TotalMilliseconds, 1e-3)));
    }

    // Vector FMAs per second, in billions, of `threads` threads each running `iterations` of `chains` at once.
    private static double Measure(Func<long, float> chains, int threads, long iterations)
    {
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            chains(iterations);
        })).ToList();
        workers.ForEach(t => t.Start());
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        workers.ForEach(t => t.Join());
        return threads * iterations * 16.0 / clock.Elapsed.TotalSeconds / 1e9;
    }

    // 16 independent multiply-add chains of one vector width: enough to cover the FMA latency on two ports, so the
    // loop runs at the core's vector throughput. The result is returned so the JIT cannot drop the loop. Written out
    // once per width on purpose: a version generic over the width (static abstract ops on a struct) measured 2–3×
    // slower, its FMAs not inlined into registers.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains256(long iterations)
    {
        var m = Vector256.Create(0.9999f);
        var c = Vector256.Create(1e-4f);
        Vector256<float> a0 = Vector256<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector256<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c); a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c); a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            b0 = Vector256.FusedMultiplyAdd(b0, m, c); b1 = Vector256.FusedMultiplyAdd(b1, m, c); b2 = Vector256.FusedMultiplyAdd(b2, m, c); b3 = Vector256.FusedMultiplyAdd(b3, m, c);
            b4 = Vector256.FusedMultiplyAdd(b4, m, c); b5 = Vector256.FusedMultiplyAdd(b5, m, c); b6 = Vector256.FusedMultiplyAdd(b6, m, c); b7 = Vector256.FusedMultiplyAdd(b7, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains512(long iterations)
    {
        var m = Vector512.Create(0.9999f);
        var c = Vector512.Create(1e-4f);
        Vector512<float> a0 = Vector512<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c); a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            b0 = Vector512.FusedMultiplyAdd(b0, m, c); b1 = Vector512.FusedMultiplyAdd(b1, m, c); b2 = Vector512.FusedMultiplyAdd(b2, m, c); b3 = Vector512.FusedMultiplyAdd(b3, m, c);
            b4 = Vector512.FusedMultiplyAdd(b4, m, c); b5 = Vector512.FusedMultiplyAdd(b5, m, c); b6 = Vector512.FusedMultiplyAdd(b6, m, c); b7 = Vector512.FusedMultiplyAdd(b7, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7);
    }
}
