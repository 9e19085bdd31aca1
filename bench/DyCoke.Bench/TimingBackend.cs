// A profiling decorator for the model benchmark: forwards every IBackend call to an inner backend and adds its wall
// time to a per-op total. Valid for synchronous backends (the CPU one), where a call's wall time is its cost.
using System.Diagnostics;
using DyCoke.Tensors;

namespace DyCoke.Bench;

/// <summary>
/// Wraps <see cref="IBackend"/> and accumulates Stopwatch time and call counts per op name; Linear is keyed by its
/// weight shape too, so the breakdown shows which projection costs what. Does not own the inner backend.
/// </summary>
internal sealed class TimingBackend(IBackend inner) : IBackend
{
    private readonly Dictionary<string, (double Ms, int Calls)> _totals = new(StringComparer.Ordinal);

    public string Name => $"timing({inner.Name})";

    public DeviceKind Device => inner.Device;

    /// <summary>Per-op totals since the last <see cref="Reset"/>, most expensive first.</summary>
    public IReadOnlyList<(string Op, double Ms, int Calls)> Totals =>
        _totals.Select(kv => (kv.Key, kv.Value.Ms, kv.Value.Calls)).OrderByDescending(t => t.Ms).ToList();

    /// <summary>Milliseconds spent inside the inner backend since construction (never reset).</summary>
    public double TotalMs { get; private set; }

    /// <summary>Milliseconds this wrapper spent on its own bookkeeping after each call (never reset): time that is
    /// neither backend work nor engine work, so overhead computed from a timed run subtracts it.</summary>
    public double BookkeepingMs { get; private set; }

    public void Reset() => _totals.Clear();

    /// <summary>A copy of the per-op millisecond totals, for differences between two moments.</summary>
    public Dictionary<string, double> Snapshot() => _totals.ToDictionary(kv => kv.Key, kv => kv.Value.Ms, StringComparer.Ordinal);

    // entry: the timestamp taken as the wrapper's first argument, so building the op name and the closure (before
    // the op starts) counts as bookkeeping too, not as engine time.
    private void Time(long entry, string op, Action call)
    {
        long start = Stopwatch.GetTimestamp();
        call();
        long end = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
        TotalMs += ms;
        var (total, calls) = _totals.GetValueOrDefault(op);
        _totals[op] = (total + ms, calls + 1);
        BookkeepingMs += Stopwatch.GetElapsedTime(entry, start).TotalMilliseconds + Stopwatch.GetElapsedTime(end).TotalMilliseconds;
    }

    public Tensor Allocate(DType dtype, Shape shape)
    {
        Tensor? result = null;
        Time(Stopwatch.GetTimestamp(), "Allocate", () => result = inner.Allocate(dtype, shape));
        return result!;
    }

    public Tensor AllocateUninitialized(DType dtype, Shape shape)
    {
        Tensor? result = null;
        Time(Stopwatch.GetTimestamp(), "Allocate", () => result = inner.AllocateUninitialized(dtype, shape));
        return result!;
    }

    // Host work, not an op: untimed, so it counts as engine overhead.
    public IHostWork StartHost(int count, Action<int> body) => inner.StartHost(count, body);

    public void Synchronize() => Time(Stopwatch.GetTimestamp(), "Synchronize", inner.Synchronize);

    public void Copy(Tensor src, Tensor dst) => Time(Stopwatch.GetTimestamp(), "Copy", () => inner.Copy(src, dst));

    public void Convert(Tensor src, Tensor dst) => Time(Stopwatch.GetTimestamp(), "Convert", () => inner.Convert(src, dst));

    public void GatherRows(Tensor src, Tensor indices, Tensor dst) => Time(Stopwatch.GetTimestamp(), "GatherRows", () => inner.GatherRows(src, indices, dst));

    // Keyed by W [N, K] so q/k/v/o, the MLP and the head appear separately.
    public void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y) =>
        Time(Stopwatch.GetTimestamp(), $"Linear N={weight.Shape[0]} K={weight.Shape[1]}", () => inner.Linear(x, weight, bias, y));

    public void Embedding(Tensor ids, Tensor table, Tensor y) => Time(Stopwatch.GetTimestamp(), "Embedding", () => inner.Embedding(ids, table, y));

    public void RmsNorm(Tensor x, Tensor weight, float eps, Tensor y) => Time(Stopwatch.GetTimestamp(), "RmsNorm", () => inner.RmsNorm(x, weight, eps, y));

    public void AddRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps, Tensor y) =>
        Time(Stopwatch.GetTimestamp(), "AddRmsNorm", () => inner.AddRmsNorm(x, residual, weight, eps, y));

    public void LayerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y) =>
        Time(Stopwatch.GetTimestamp(), "LayerNorm", () => inner.LayerNorm(x, weight, bias, eps, y));

    public void Add(Tensor a, Tensor b, Tensor y) => Time(Stopwatch.GetTimestamp(), "Add", () => inner.Add(a, b, y));

    public void SiluMul(Tensor gateUp, Tensor y) => Time(Stopwatch.GetTimestamp(), "SiluMul", () => inner.SiluMul(gateUp, y));

    public void Gelu(Tensor x, GeluApproximation approximation, Tensor y) => Time(Stopwatch.GetTimestamp(), "Gelu", () => inner.Gelu(x, approximation, y));

    public void Softmax(Tensor x, Tensor y) => Time(Stopwatch.GetTimestamp(), "Softmax", () => inner.Softmax(x, y));

    public void RopeAndStoreKv(Tensor q, Tensor k, Tensor v, Tensor positions, Tensor slotMapping, Tensor kCache, Tensor vCache, float theta) =>
        Time(Stopwatch.GetTimestamp(), "RopeAndStoreKv", () => inner.RopeAndStoreKv(q, k, v, positions, slotMapping, kCache, vCache, theta));

    public void AttentionPrefill(Tensor q, Tensor k, Tensor v, Tensor cuSeqLens, bool causal, float scale, Tensor output) =>
        Time(Stopwatch.GetTimestamp(), causal ? "AttentionPrefill causal" : "AttentionPrefill full", () => inner.AttentionPrefill(q, k, v, cuSeqLens, causal, scale, output));

    public void AttentionDecode(Tensor q, Tensor kCache, Tensor vCache, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output, Tensor? meanProbs) =>
        Time(Stopwatch.GetTimestamp(), "AttentionDecode", () => inner.AttentionDecode(q, kCache, vCache, kvIndptr, kvIndices, scale, output, meanProbs));

    public void AttentionPrefillCached(Tensor q, Tensor kCache, Tensor vCache, Tensor cuSeqLens, Tensor kvIndptr, Tensor kvIndices, float scale, Tensor output) =>
        Time(Stopwatch.GetTimestamp(), "AttentionPrefillCached", () => inner.AttentionPrefillCached(q, kCache, vCache, cuSeqLens, kvIndptr, kvIndices, scale, output));

    public void BilinearResize(Tensor x, Tensor y) => Time(Stopwatch.GetTimestamp(), "BilinearResize", () => inner.BilinearResize(x, y));

    public void RowCosine(Tensor a, Tensor b, Tensor output) => Time(Stopwatch.GetTimestamp(), "RowCosine", () => inner.RowCosine(a, b, output));

    public void TopK(Tensor scores, int k, Tensor values, Tensor indices) => Time(Stopwatch.GetTimestamp(), "TopK", () => inner.TopK(scores, k, values, indices));

    public void ArgMax(Tensor x, Tensor indices) => Time(Stopwatch.GetTimestamp(), "ArgMax", () => inner.ArgMax(x, indices));

    // The inner backend belongs to the caller.
    public void Dispose()
    {
    }
}
