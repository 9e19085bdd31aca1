// CUDA graphs for the decode step: the step's kernels are captured once per batch-size bucket and replayed with one
// cuGraphLaunch, removing the ~10 launches × layers of CPU launch overhead that dominates small-model decode.
// Per-step inputs must live in fixed device buffers that the captured kernels read (their addresses are baked in).
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

/// <summary>An instantiated graph: replays the captured work on the compute stream.</summary>
public sealed class CudaGraph : IDisposable
{
    private readonly CudaDevice _device;
    private nint _exec;

    private CudaGraph(CudaDevice device, nint exec)
    {
        _device = device;
        _exec = exec;
    }

    /// <summary>
    /// Captures everything <paramref name="body"/> queues on the compute stream (thread-local capture mode, so other
    /// threads' CUDA calls cannot invalidate it). The body must not allocate with cuMemAlloc, load modules or
    /// synchronize — all kernels are loaded at start-up and stream-ordered allocations are capturable.
    /// </summary>
    public static CudaGraph Capture(CudaDevice device, Action body)
    {
        device.MakeCurrent();
        nint stream = device.ComputeStream;
        CudaException.Check(CuDriver.StreamBeginCapture(stream, CuDriver.CaptureModeThreadLocal), "cuStreamBeginCapture");
        nint graph = 0;
        try
        {
            body();
        }
        finally
        {
            // End the capture even when the body threw, or the stream stays unusable.
            int end = CuDriver.StreamEndCapture(stream, out graph);
            if (end != CuDriver.Success && graph == 0)
                throw CudaException.FromDriver(end, "cuStreamEndCapture", "the captured work used a call that cannot be captured");
        }
        try
        {
            CudaException.Check(CuDriver.GraphInstantiateWithFlags(out nint exec, graph, 0), "cuGraphInstantiateWithFlags");
            return new CudaGraph(device, exec);
        }
        finally
        {
            CuDriver.GraphDestroy(graph);
        }
    }

    /// <summary>Queues one replay on the compute stream.</summary>
    public void Launch()
    {
        ObjectDisposedException.ThrowIf(_exec == 0, this);
        _device.MakeCurrent();
        CudaException.Check(CuDriver.GraphLaunch(_exec, _device.ComputeStream), "cuGraphLaunch");
    }

    public void Dispose()
    {
        if (_exec == 0) return;
        _device.MakeCurrent();
        CuDriver.GraphExecDestroy(_exec);
        _exec = 0;
    }
}

/// <summary>
/// One captured graph per batch-size bucket (1, 2, 4, 8, … up to a maximum). A step with B sequences runs the
/// graph of the smallest bucket ≥ B, with the unused rows of the fixed input buffers padded by the caller.
/// </summary>
public sealed class CudaGraphBuckets : IDisposable
{
    private readonly CudaDevice _device;
    private readonly Dictionary<int, CudaGraph> _graphs = [];

    public CudaGraphBuckets(CudaDevice device, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _device = device;
        Buckets = BucketSizes(maxBatch);
    }

    /// <summary>Powers of two below <c>maxBatch</c>, then <c>maxBatch</c> itself.</summary>
    public IReadOnlyList<int> Buckets { get; }

    public static IReadOnlyList<int> BucketSizes(int maxBatch)
    {
        var sizes = new List<int>();
        for (int b = 1; b < maxBatch; b *= 2) sizes.Add(b);
        sizes.Add(maxBatch);
        return sizes;
    }

    /// <summary>The bucket a batch of <paramref name="batchSize"/> sequences runs in.</summary>
    public int BucketFor(int batchSize)
    {
        foreach (int b in Buckets)
            if (b >= batchSize) return b;
        throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"larger than the largest bucket {Buckets[^1]}");
    }

    /// <summary>Replays the bucket's graph, capturing it first with <paramref name="capture"/>(bucket) if it is new.</summary>
    public void Launch(int batchSize, Action<int> capture)
    {
        int bucket = BucketFor(batchSize);
        if (!_graphs.TryGetValue(bucket, out var graph))
        {
            graph = CudaGraph.Capture(_device, () => capture(bucket));
            _graphs[bucket] = graph;
        }
        graph.Launch();
    }

    public void Dispose()
    {
        foreach (var g in _graphs.Values) g.Dispose();
        _graphs.Clear();
    }
}
