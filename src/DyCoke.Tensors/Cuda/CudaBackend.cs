// The CUDA implementation of IBackend: kernels compiled by NVRTC (Cuda/Kernels/*.cu), GEMMs through cuBLAS, all
// queued on the device's compute stream. One op per file under Cuda/Ops (partial class); this file holds
// construction, allocation, copies and the launch helper they share.
using DyCoke.Tensors.Cuda.Interop;

namespace DyCoke.Tensors.Cuda;

/// <summary>Settings of the CUDA backend.</summary>
public sealed record CudaBackendOptions
{
    public int DeviceOrdinal { get; init; }

    /// <summary>Kernel cache directory (null: <see cref="KernelCache.DefaultCacheDirectory"/>).</summary>
    public string? KernelCacheDirectory { get; init; }

    /// <summary>cuBLAS workspace; 32 MiB suits Hopper, and a fixed workspace keeps graph captures from allocating.</summary>
    public long CublasWorkspaceBytes { get; init; } = 32L << 20;
}

/// <summary>
/// Runs every op on one GPU. Ops are asynchronous: results are valid after <see cref="Synchronize"/> or a copy to the
/// host. Activations may be F32, F16 or BF16; math is fp32.
/// </summary>
public sealed unsafe partial class CudaBackend : IBackend
{
    private readonly KernelCache _kernels;
    private readonly nint _cublas;
    private readonly CudaStorage _cublasWorkspace;

    public CudaBackend(CudaBackendOptions? options = null)
    {
        Options = options ?? new CudaBackendOptions();
        Gpu = CudaDevice.Open(Options.DeviceOrdinal);
        try
        {
            _kernels = KernelCache.Load(Gpu, Options.KernelCacheDirectory);
            Cublas.Check(Cublas.Create(out _cublas), "cublasCreate");
            Cublas.Check(Cublas.SetStream(_cublas, Gpu.ComputeStream), "cublasSetStream");
            _cublasWorkspace = CudaStorage.Allocate(Gpu, Options.CublasWorkspaceBytes);
            Cublas.Check(Cublas.SetWorkspace(_cublas, (ulong)_cublasWorkspace.Pointer, (nuint)Options.CublasWorkspaceBytes), "cublasSetWorkspace");
        }
        catch
        {
            _kernels?.Dispose();
            Gpu.Dispose();
            throw;
        }
    }

    public CudaBackendOptions Options { get; }

    /// <summary>The GPU this backend runs on.</summary>
    public CudaDevice Gpu { get; }

    public DeviceKind Device => DeviceKind.Cuda;

    public string Name => $"cuda ({Gpu.Info.Name}, {Gpu.Info.Architecture})";

    public Tensor Allocate(DType dtype, Shape shape) =>
        Tensor.FromStorage(CudaStorage.Allocate(Gpu, checked(shape.NumElements * dtype.SizeOf())), dtype, shape);

    public Tensor AllocateUninitialized(DType dtype, Shape shape) =>
        Tensor.FromStorage(CudaStorage.Allocate(Gpu, checked(shape.NumElements * dtype.SizeOf()), clear: false), dtype, shape);

    public void Synchronize() => Gpu.Synchronize();

    // The thread pool: the host threads are free while the GPU computes, and body touches no device memory (CUDA
    // calls from a pool thread would need this context made current there).
    public IHostWork StartHost(int count, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(body);
        return new ThreadPoolHostWork(count, body);
    }

    /// <summary>dst ← src for any pair of host and device tensors of the same dtype and element count.</summary>
    public void Copy(Tensor src, Tensor dst)
    {
        if (src.DType != dst.DType) throw new ArgumentException($"Copy needs equal dtypes, got {src.DType} and {dst.DType}", nameof(dst));
        TensorCheck.SameElementCount(src, dst, nameof(src), nameof(dst));
        Gpu.MakeCurrent();
        nuint bytes = (nuint)src.ByteCount;
        if (bytes == 0) return;
        nint stream = Gpu.ComputeStream;
        switch (src.Device, dst.Device)
        {
            case (DeviceKind.Cpu, DeviceKind.Cuda):
                CudaException.Check(CuDriver.MemcpyHtoDAsync((ulong)dst.Pointer, src.Pointer, bytes, stream), "cuMemcpyHtoDAsync", () => $"{bytes} bytes");
                // Pageable host memory: the driver stages it, but the caller may free src right after Copy returns.
                CudaException.Check(CuDriver.StreamSynchronize(stream), "cuStreamSynchronize");
                break;
            case (DeviceKind.Cuda, DeviceKind.Cpu):
                CudaException.Check(CuDriver.MemcpyDtoHAsync(dst.Pointer, (ulong)src.Pointer, bytes, stream), "cuMemcpyDtoHAsync", () => $"{bytes} bytes");
                CudaException.Check(CuDriver.StreamSynchronize(stream), "cuStreamSynchronize");
                break;
            case (DeviceKind.Cuda, DeviceKind.Cuda):
                CudaException.Check(CuDriver.MemcpyDtoDAsync((ulong)dst.Pointer, (ulong)src.Pointer, bytes, stream), "cuMemcpyDtoDAsync", () => $"{bytes} bytes");
                break;
            default:
                throw new ArgumentException("Copy between two host tensors belongs to the CPU backend", nameof(dst));
        }
    }

    /// <summary>Starts building the arguments of kernel <paramref name="name"/>.</summary>
    internal nint Kernel(string name) => _kernels.Function(name);

    internal void Launch(string name, Dim3 grid, Dim3 block, scoped in KernelArgs args, uint sharedBytes = 0)
    {
        Gpu.MakeCurrent();
        args.Launch(_kernels.Function(name), name, grid, block, sharedBytes, Gpu.ComputeStream);
    }

    /// <summary>Kernel-name suffix of a float storage dtype ("f32", "f16", "bf16").</summary>
    internal static string Suffix(DType dtype) => dtype switch
    {
        DType.F32 => "f32",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        _ => throw new ArgumentException($"no float kernel for {dtype}"),
    };

    internal static void OnDevice(params ReadOnlySpan<Tensor?> tensors)
    {
        foreach (var t in tensors)
            if (t is not null && t.Device != DeviceKind.Cuda) throw new ArgumentException($"{t} must be a CUDA tensor");
    }

    /// <summary>Frees the device scratch attention keeps between calls (Ops/AttentionDecode.cs).</summary>
    partial void DisposeAttentionScratch();

    public void Dispose()
    {
        Gpu.MakeCurrent();
        Gpu.Synchronize();
        DisposeAttentionScratch();
        Cublas.Destroy(_cublas);
        _cublasWorkspace.Dispose();
        _kernels.Dispose();
        Gpu.Dispose();
    }
}
