// CPU Linear: y = x·Wᵀ + b with F32 activations and F32/F16/BF16 weights, on OpenBLAS or the managed GEMM/GEMV.
using System.Numerics.Tensors;
using DyCoke.Tensors.Cpu.Gemm;
using DyCoke.Tensors.Cpu.Interop;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    private bool _useOpenBlas;
    private string _gemmName = "";

    private string GemmName => _gemmName;

    private void InitializeGemm()
    {
        switch (Options.Gemm)
        {
            case CpuGemmKind.Managed:
                _useOpenBlas = false;
                break;
            case CpuGemmKind.OpenBlas:
                if (!OpenBlas.TryLoad(out string? error))
                    throw new InvalidOperationException($"CpuGemmKind.OpenBlas was requested but {error}");
                _useOpenBlas = true;
                break;
            case CpuGemmKind.Auto:
                _useOpenBlas = OpenBlas.TryLoad(out _);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Options), Options.Gemm, "unknown CpuGemmKind");
        }
        _gemmName = _useOpenBlas ? OpenBlas.Config.Trim() : $"managed {ManagedLinear.KernelName}";
    }

    // The OpenBLAS library stays loaded for the process (see OpenBlas); only this backend's use of it ends.
    private void DisposeGemm() => _useOpenBlas = false;

    /// <summary>
    /// y[M, N] = x[M, K] · Wᵀ + b. x F32 of rank ≥ 2 (all but the last dimension are rows); W [N, K] F32, F16 or BF16
    /// (PyTorch layout); bias [N] F32, F16 or BF16, optional; y F32 with x's shape but last dimension N. Sums are
    /// accumulated in F32. F32 weights run on OpenBLAS when it is in use; F16/BF16 weights, and every shape on the
    /// managed backend, run on the managed kernels.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not on the CPU, has the wrong dtype or shape, or y overlaps x.</exception>
    public unsafe void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        CheckLinear(x, weight, bias, y);
        int m = (int)x.Shape.Rows, k = (int)weight.Shape[1], n = (int)weight.Shape[0];
        if (m == 0 || n == 0) return;

        float* yp = (float*)y.Pointer; // [M, N]
        float* biasF32 = null;         // [N]
        if (bias != null)
        {
            biasF32 = bias.DType == DType.F32 ? (float*)bias.Pointer : GemmScratch.Misc(n);
            if (bias.DType != DType.F32) ManagedLinear.Widen((void*)bias.Pointer, bias.DType, biasF32, n);
        }
        if (k == 0)
        {
            for (int i = 0; i < m; i++)
            {
                var row = new Span<float>(yp + (nint)i * n, n);
                if (biasF32 != null) new ReadOnlySpan<float>(biasF32, n).CopyTo(row);
                else row.Clear();
            }
            return;
        }

        float* xp = (float*)x.Pointer; // [M, K]
        // F16/BF16 weights never go to OpenBLAS (it has no half-precision GEMM in Debian's build): widening W into
        // an F32 copy costs a full extra pass over 2·N·K bytes plus N·K·4 bytes of scratch per call, and measured
        // slower than the managed kernel, which widens while packing (docs/benchmarks.md, "CPU GEMM").
        if (_useOpenBlas && weight.DType == DType.F32)
        {
            OpenBlas.LinearF32(xp, (float*)weight.Pointer, yp, m, n, k, Options.Threads);
            if (biasF32 != null) AddBiasRows(yp, biasF32, m, n);
            return;
        }
        ManagedLinear.Run(xp, (void*)weight.Pointer, weight.DType, biasF32, yp, m, n, k, Options.Threads);
    }

    private unsafe void AddBiasRows(float* y, float* bias, int m, int n)
    {
        nint yy = (nint)y, bb = (nint)bias;
        ParallelFor(m, n, (start, end) =>
        {
            var b = new ReadOnlySpan<float>((float*)bb, n);
            for (int i = start; i < end; i++)
            {
                var row = new Span<float>((float*)yy + (nint)i * n, n);
                TensorPrimitives.Add(row, b, row);
            }
        });
    }

    private static void CheckLinear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(weight, DeviceKind.Cpu, nameof(weight));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.IsFloat(weight, nameof(weight));
        TensorCheck.Rank(weight, 2, nameof(weight));
        if (x.Shape.Rank < 2)
            throw new ArgumentException($"x has shape {x.Shape}, expected rank ≥ 2 ([..., K])", nameof(x));
        long n = weight.Shape[0], k = weight.Shape[1];
        if (x.Shape.LastDim != k)
            throw new ArgumentException($"x has shape {x.Shape} but weight {weight.Shape} expects K = {k} input features", nameof(x));
        TensorCheck.ShapeIs(y, x.Shape.WithDim(-1, n), nameof(y));
        if (bias != null)
        {
            TensorCheck.OnDevice(bias, DeviceKind.Cpu, nameof(bias));
            TensorCheck.IsFloat(bias, nameof(bias));
            TensorCheck.ShapeIs(bias, new Shape(n), nameof(bias));
        }
        if (x.Shape.Rows > int.MaxValue || n > int.MaxValue || k > int.MaxValue)
            throw new ArgumentException($"x {x.Shape} · weight {weight.Shape} has a dimension beyond {int.MaxValue}", nameof(x));
        if (x.ByteCount > 0 && y.ByteCount > 0 && x.Pointer < y.Pointer + (nint)y.ByteCount && y.Pointer < x.Pointer + (nint)x.ByteCount)
            throw new ArgumentException($"y {y.Shape} overlaps x {x.Shape}; Linear cannot run in place", nameof(y));
    }
}
