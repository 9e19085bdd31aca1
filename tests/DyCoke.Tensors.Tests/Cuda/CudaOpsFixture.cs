// One CudaBackend (kernels compiled or loaded once) and one CpuBackend shared by the CUDA op parity tests, plus the
// host/device transfer and dtype helpers they use. Without a GPU the tests skip; with a GPU that fails to open, they fail.
using DyCoke.Tensors.Cpu;
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests.Cuda;

/// <summary>The CUDA op test classes share one fixture and run one after another on the device.</summary>
[CollectionDefinition(Name)]
public sealed class CudaOpsCollection : ICollectionFixture<CudaOpsFixture>
{
    public const string Name = "CUDA ops";
}

public sealed class CudaOpsFixture : IDisposable
{
    private readonly CudaBackend? _gpu;
    private readonly Exception? _openError;

    public CudaOpsFixture()
    {
        Available = CudaDevice.TryProbe(out _, out string reason);
        Reason = reason;
        if (!Available) return;
        try
        {
            _gpu = new CudaBackend();
        }
        catch (Exception e)
        {
            // Kept for the tests to report: a GPU host where the backend cannot open is a failure, not a skip.
            _openError = e;
        }
    }

    public bool Available { get; }

    public string Reason { get; }

    public CpuBackend Cpu { get; } = new(new CpuBackendOptions { Threads = 1 });

    /// <summary>The GPU backend; skips the calling test on a host without a CUDA device.</summary>
    public CudaBackend Gpu()
    {
        Assert.SkipUnless(Available, $"no CUDA device: {Reason}");
        if (_openError is not null) throw new InvalidOperationException($"CudaBackend failed to open: {_openError.Message}", _openError);
        return _gpu!;
    }

    /// <summary>A device copy of a host tensor.</summary>
    public Tensor Upload(Tensor host)
    {
        var gpu = Gpu();
        var device = gpu.Allocate(host.DType, host.Shape);
        gpu.Copy(host, device);
        return device;
    }

    /// <summary>A host copy of a device tensor (the copy waits for the queued kernels, so their errors surface here).</summary>
    public Tensor Download(Tensor device)
    {
        var host = Tensor.Cpu(device.DType, device.Shape);
        Gpu().Copy(device, host);
        return host;
    }

    /// <summary>Uniform random floats in [lo, hi), reproducible from the seed (TestTensors.Random's values).</summary>
    public static float[] RandomValues(int seed, Shape shape, float lo = -1f, float hi = 1f)
    {
        using var t = TestTensors.Random(seed, shape, lo, hi);
        return t.ToFloatArray();
    }

    /// <summary>An F32 host copy of a float or I32 host tensor (exact: every F16/BF16 value is an F32 value).</summary>
    public static Tensor Widen(Tensor host) => Tensor.FromArray(host.ToFloatArray(), host.Shape);

    /// <summary>A host tensor of <paramref name="dtype"/> holding <paramref name="values"/> rounded to nearest even.</summary>
    public static Tensor Narrow(ReadOnlySpan<float> values, DType dtype, Shape shape)
    {
        if (dtype == DType.F32) return Tensor.FromArray(values, shape);
        var bits = new ushort[values.Length];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = dtype == DType.F16 ? DTypeConversion.SingleToF16(values[i]) : DTypeConversion.SingleToBF16(values[i]);
        return Tensor.FromSpan<ushort>(bits, dtype, shape);
    }

    /// <summary>
    /// Relative tolerance of a GPU result stored as <paramref name="dtype"/> against the CPU's F32 result from the same
    /// (exactly representable) inputs: 1e-5 for F32; for F16/BF16 the one final rounding (half an ulp, 2⁻¹¹ and 2⁻⁸
    /// relative) with a margin for the fp32 differences before it.
    /// </summary>
    public static double Rtol(DType dtype) => dtype switch
    {
        DType.F32 => 1e-5,
        DType.F16 => 1.25 * Math.Pow(2, -11),
        DType.BF16 => 1.25 * Math.Pow(2, -8),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a float dtype"),
    };

    public void Dispose()
    {
        _gpu?.Dispose();
        Cpu.Dispose();
    }
}
