// The CPU implementation of IBackend: F32 math over F32 activations, F32/F16/BF16 weights. One op per file under
// Cpu/Ops (partial class); this file holds construction, allocation and the parallel-for helper they share.
namespace DyCoke.Tensors.Cpu;

/// <summary>
/// Reference and fallback backend. Ops run eagerly and synchronously on the calling thread, fanned out over
/// <see cref="CpuBackendOptions.Threads"/> workers where the work is large enough to pay for it.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    private readonly CpuWorkerPool _workers;

    public CpuBackend(CpuBackendOptions? options = null)
    {
        Options = options ?? new CpuBackendOptions();
        if (Options.Threads < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Threads, "Threads must be at least 1");
        _workers = new CpuWorkerPool(Options.Threads);
        InitializeGemm();
    }

    public CpuBackendOptions Options { get; }

    public string Name => $"cpu ({GemmName}, {Options.Threads} threads)";

    public DeviceKind Device => DeviceKind.Cpu;

    public Tensor Allocate(DType dtype, Shape shape) => Tensor.Cpu(dtype, shape);

    public Tensor AllocateUninitialized(DType dtype, Shape shape) => Tensor.CpuUninitialized(dtype, shape);

    public void Synchronize() { }

    public IHostWork StartHost(int count, Action<int> body) => _workers.Start(count, body);

    /// <summary>
    /// Runs body(start, end) over [0, count) in contiguous chunks on the backend's worker threads. Work below ~64K
    /// multiply-adds stays on the calling thread: even an awake worker costs a microsecond or two to hand work to.
    /// </summary>
    internal void ParallelFor(int count, long workPerItem, Action<int, int> body)
    {
        if (count <= 0) return;
        int threads = Options.Threads;
        if (threads == 1 || count == 1 || (long)count * workPerItem < 65_536)
        {
            body(0, count);
            return;
        }
        int chunks = Math.Min(count, threads * 4);
        _workers.Run(chunks, c =>
        {
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            if (end > start) body(start, end);
        });
    }

    /// <summary>The worker threads, for the GEMM kernels' own parallel loops.</summary>
    internal CpuWorkerPool Workers => _workers;

    public void Dispose()
    {
        DisposeGemm();
        _workers.Dispose();
    }
}
