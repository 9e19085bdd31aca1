// GPU micro-benchmarks (issue #3): each result is reported against a ceiling measured in the same run on the same
// device — device copy bandwidth for memory-bound kernels, a large square bf16 cuBLAS GEMM for matrix throughput.
using DyCoke.Tensors;
using DyCoke.Tensors.Cuda;

namespace DyCoke.Bench;

internal static class GpuBench
{
    public static int Run(TextWriter output)
    {
        using var gpu = new CudaBackend();
        using var timer = new CudaTimer(gpu.Gpu);
        output.WriteLine($"device: {gpu.Name}, {gpu.Gpu.Info.Multiprocessors} SMs, {gpu.Gpu.Info.TotalMemory >> 30} GiB, driver {gpu.Gpu.Info.DriverVersion}");
        output.WriteLine($"libraries: {CudaLibraryResolver.Describe()}");

        double copyGBs = CopyBandwidth(gpu, timer);
        output.WriteLine($"copy bandwidth (device to device, read + write): {copyGBs:F0} GB/s");
        double peak = GemmTflops(gpu, timer, 8192, 8192, 8192);
        output.WriteLine($"bf16 matrix ceiling (cuBLAS 8192^3): {peak:F0} TFLOP/s");

        output.WriteLine();
        output.WriteLine($"{"GEMM (M x K x N)",-28} {"TFLOP/s",8} {"of peak",8} {"GB/s",7} {"of copy",8}");
        foreach (var (m, k, n) in ((int, int, int)[])[(1, 896, 4864), (16, 896, 4864), (512, 896, 4864), (6273, 896, 4864),
                     (1, 3584, 18944), (512, 3584, 18944), (6273, 3584, 18944), (729, 1152, 4304), (23328, 1152, 4304)])
        {
            double ms = GemmMs(gpu, timer, m, k, n);
            double tflops = 2.0 * m * k * n / ms / 1e9;
            double gbs = 2.0 * ((double)m * k + (double)k * n + (double)m * n) / ms / 1e6;
            output.WriteLine($"{$"{m} x {k} x {n}",-28} {tflops,8:F1} {tflops / peak,8:P0} {gbs,7:F0} {gbs / copyGBs,8:P0}");
        }

        output.WriteLine();
        output.WriteLine($"{"decode attention (bf16)",-40} {"us",8} {"GB/s",7} {"of copy",8}");
        foreach (int batch in (int[])[1, 8, 32])
            foreach (double keep in (double[])[1.0, 0.3])
            {
                var (us, gbs) = DecodeAttention(gpu, timer, batch, slotsPerSequence: 6273, keep, heads: 28, kvHeads: 4, dim: 128);
                output.WriteLine($"{$"B{batch} x 6273 slots, keep {keep:P0}, 7B heads",-40} {us,8:F1} {gbs,7:F0} {gbs / copyGBs,8:P0}");
            }

        output.WriteLine();
        output.WriteLine($"{"elementwise (bf16)",-40} {"us",8} {"GB/s",7} {"of copy",8}");
        foreach (var (name, us, gbs) in Elementwise(gpu, timer))
            output.WriteLine($"{name,-40} {us,8:F1} {gbs,7:F0} {gbs / copyGBs,8:P0}");
        return 0;
    }

    private static double CopyBandwidth(CudaBackend gpu, CudaTimer timer)
    {
        var shape = new Shape(256L << 20); // 1 GiB of F32
        using var a = gpu.Allocate(DType.F32, shape);
        using var b = gpu.Allocate(DType.F32, shape);
        double ms = timer.Measure(() => gpu.Copy(a, b), reps: 10);
        return 2.0 * a.ByteCount / ms / 1e6;
    }

    private static double GemmMs(CudaBackend gpu, CudaTimer timer, int m, int k, int n)
    {
        using var x = gpu.Allocate(DType.BF16, new Shape(m, k));
        using var w = gpu.Allocate(DType.BF16, new Shape(n, k));
        using var y = gpu.Allocate(DType.BF16, new Shape(m, n));
        int reps = (long)m * k * n > 1L << 34 ? 10 : 50;
        return timer.Measure(() => gpu.Linear(x, w, null, y), reps);
    }

    private static double GemmTflops(CudaBackend gpu, CudaTimer timer, int m, int k, int n) => 2.0 * m * k * n / GemmMs(gpu, timer, m, k, n) / 1e9;

    private static (double Us, double GBs) DecodeAttention(CudaBackend gpu, CudaTimer timer, int batch, int slotsPerSequence, double keep, int heads, int kvHeads, int dim)
    {
        int listed = (int)(slotsPerSequence * keep);
        int totalSlots = batch * slotsPerSequence;
        var rng = new Random(7);
        var indptr = new int[batch + 1];
        var indices = new int[batch * listed];
        for (int b = 0; b < batch; b++)
        {
            // A DyCoke-style list: a random subset of the sequence's own slots, in ascending order.
            var chosen = Enumerable.Range(b * slotsPerSequence, slotsPerSequence).OrderBy(_ => rng.Next()).Take(listed).Order().ToArray();
            chosen.CopyTo(indices, b * listed);
            indptr[b + 1] = (b + 1) * listed;
        }
        using var q = gpu.Allocate(DType.BF16, new Shape(batch, heads, dim));
        using var kc = gpu.Allocate(DType.BF16, new Shape(totalSlots, kvHeads, dim));
        using var vc = gpu.Allocate(DType.BF16, new Shape(totalSlots, kvHeads, dim));
        using var o = gpu.Allocate(DType.BF16, new Shape(batch, heads, dim));
        using var ip = gpu.UploadInts(indptr);
        using var ix = gpu.UploadInts(indices);
        double ms = timer.Measure(() => gpu.AttentionDecode(q, kc, vc, ip, ix, 1f / MathF.Sqrt(dim), o, null), reps: 100);
        double bytes = 2.0 * indices.Length * kvHeads * dim * sizeof(ushort);
        return (ms * 1000, bytes / ms / 1e6);
    }

    private static IEnumerable<(string Name, double Us, double GBs)> Elementwise(CudaBackend gpu, CudaTimer timer)
    {
        const int rows = 6273, cols = 3584;
        using var x = gpu.Allocate(DType.BF16, new Shape(rows, cols));
        using var r = gpu.Allocate(DType.BF16, new Shape(rows, cols));
        using var y = gpu.Allocate(DType.BF16, new Shape(rows, cols));
        using var w = gpu.Allocate(DType.BF16, new Shape(cols));
        double bytes = (double)x.ByteCount;
        double ms = timer.Measure(() => gpu.RmsNorm(x, w, 1e-6f, y), reps: 50);
        yield return ($"RmsNorm {rows} x {cols}", ms * 1000, 2 * bytes / ms / 1e6);
        ms = timer.Measure(() => gpu.AddRmsNorm(x, r, w, 1e-6f, y), reps: 50);
        yield return ($"AddRmsNorm {rows} x {cols}", ms * 1000, 4 * bytes / ms / 1e6);

        const int heads = 28, kvHeads = 4, dim = 128;
        using var q = gpu.Allocate(DType.BF16, new Shape(rows, heads, dim));
        using var k = gpu.Allocate(DType.BF16, new Shape(rows, kvHeads, dim));
        using var v = gpu.Allocate(DType.BF16, new Shape(rows, kvHeads, dim));
        using var kc = gpu.Allocate(DType.BF16, new Shape(rows, kvHeads, dim));
        using var vc = gpu.Allocate(DType.BF16, new Shape(rows, kvHeads, dim));
        using var pos = gpu.UploadInts(Enumerable.Range(0, rows).ToArray());
        using var slots = gpu.UploadInts(Enumerable.Range(0, rows).ToArray());
        ms = timer.Measure(() => gpu.RopeAndStoreKv(q, k, v, pos, slots, kc, vc, 1e6f), reps: 50);
        // q and k read and written in place, v read, k and v written to the cache.
        double ropeBytes = 2.0 * q.ByteCount + 2.0 * k.ByteCount + v.ByteCount + kc.ByteCount + vc.ByteCount;
        yield return ($"RoPE + KV store T{rows} 7B heads", ms * 1000, ropeBytes / ms / 1e6);
    }
}
