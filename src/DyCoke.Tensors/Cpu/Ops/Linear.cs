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
    /// accumulated in F32. F32 weights run on OpenBLAS when it is in use, except decode-sized batches (≤ 16 rows) on
    /// AVX-512 CPUs under <see cref="CpuGemmKind.Auto"/>; F16/BF16 weights, and every shape on the managed backend,
    /// run on the managed kernels.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is not on the CPU, has the wrong dtype or shape, or y overlaps x.</exception>
    public unsafe void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        nint xAddress = x.Pointer, yAddress = y.Pointer;
        CheckLinear(x, weight, bias, y, xAddress, yAddress, out int m, out int n, out int k);
        if (m == 0 || n == 0) return;

        float* yp = (float*)yAddress; // [M, N]
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

        float* xp = (float*)xAddress; // [M, K]
        // F16/BF16 weights never go to OpenBLAS (it has no half-precision GEMM in Debian's build): widening W into
        // an F32 copy costs a full extra pass over 2·N·K bytes plus N·K·4 bytes of scratch per call, and measured
        // slower than the managed kernel, which widens while packing (docs/benchmarks.md, "CPU GEMM").
        // Under Auto, decode-sized batches (M ≤ 16) stay on the managed small-M kernel although OpenBLAS is loaded:
        // with AVX-512 it measured faster than Debian's OpenBLAS 0.3.21 on every decode shape of the demo model and of
        // 0.5B (docs/benchmarks.md, "Decode shapes"): sgemv reduces each output on its own and sgemm packs W per call.
        // An explicit CpuGemmKind.OpenBlas still gets OpenBLAS for every shape.
        bool managedSmallM = Options.Gemm == CpuGemmKind.Auto && SmallMKernel.IsSupported && m <= SmallMKernel.MaxRows;
        if (_useOpenBlas && weight.DType == DType.F32 && !managedSmallM)
        {
            OpenBlas.LinearF32(xp, (float*)weight.Pointer, yp, m, n, k, Options.Threads);
            if (biasF32 != null) AddBiasRows(yp, biasF32, m, n);
            return;
        }
        ManagedLinear.Run(xp, (void*)weight.Pointer, weight.DType, biasF32, yp, m, n, k, _workers);
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

    // Runs on every decode-step Linear (29 per step on the demo model, a few µs each): it reads each Shape once and
    // compares y's dimensions in place, because building the expected shape (WithDim allocates) cost as much as a
    // small GEMV.
    private static void CheckLinear(Tensor x, Tensor weight, Tensor? bias, Tensor y, nint xp, nint yp, out int m, out int n, out int k)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(weight, DeviceKind.Cpu, nameof(weight));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.IsFloat(weight, nameof(weight));
        TensorCheck.Rank(weight, 2, nameof(weight));
        Shape xShape = x.Shape, wShape = weight.Shape, yShape = y.Shape;
        int rank = xShape.Rank;
        if (rank < 2)
            throw new ArgumentException($"x has shape {xShape}, expected rank ≥ 2 ([..., K])", nameof(x));
        long nLong = wShape[0], kLong = wShape[1];
        if (xShape[rank - 1] != kLong)
            throw new ArgumentException($"x has shape {xShape} but weight {wShape} expects K = {kLong} input features", nameof(x));
        bool yMatches = yShape.Rank == rank && yShape[rank - 1] == nLong;
        for (int i = 0; yMatches && i < rank - 1; i++) yMatches = yShape[i] == xShape[i];
        if (!yMatches)
            throw new ArgumentException($"y has shape {yShape}, expected {xShape.WithDim(-1, nLong)}", nameof(y));
        if (bias != null)
        {
            TensorCheck.OnDevice(bias, DeviceKind.Cpu, nameof(bias));
            TensorCheck.IsFloat(bias, nameof(bias));
            Shape bShape = bias.Shape;
            if (bShape.Rank != 1 || bShape[0] != nLong)
                throw new ArgumentException($"bias has shape {bShape}, expected {new Shape(nLong)}", nameof(bias));
        }
        long rows = xShape.Rows;
        if (rows > int.MaxValue || nLong > int.MaxValue || kLong > int.MaxValue)
            throw new ArgumentException($"x {xShape} · weight {wShape} has a dimension beyond {int.MaxValue}", nameof(x));
        m = (int)rows;
        n = (int)nLong;
        k = (int)kLong;
        long xBytes = 4 * rows * kLong, yBytes = 4 * rows * nLong;
        if (xBytes > 0 && yBytes > 0 && xp < yp + (nint)yBytes && yp < xp + (nint)xBytes)
            throw new ArgumentException($"y {yShape} overlaps x {xShape}; Linear cannot run in place", nameof(y));
    }
}
