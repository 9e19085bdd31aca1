// RMSNorm over the last dimension (Qwen2), alone and fused with the residual add that precedes it in every layer.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// y = x / sqrt(mean(x²) + eps) · w over the last dim, as HF Qwen2RMSNorm: normalise, then scale by w
    /// (the mean of squares is accumulated in double).
    /// x, y F32 of equal shape [R, C] (any leading dims fold into R; y may alias x); w [C] F32/F16/BF16.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public unsafe void RmsNorm(Tensor x, Tensor weight, float eps, Tensor y)
    {
        CheckRmsNormArguments(x, weight, y);
        using var w = new F32Parameter(weight); // [C]
        RmsNormRows(x.Pointer, 0, w, eps, y.Pointer, x.Shape.Rows);
    }

    /// <summary>
    /// residual ← residual + x, then y = RmsNorm(residual) (see <see cref="RmsNorm"/>). x, residual, y F32 [R, C];
    /// y may alias x but not residual.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape, or y is residual.</exception>
    public unsafe void AddRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps, Tensor y)
    {
        CheckRmsNormArguments(x, weight, y);
        TensorCheck.OnDevice(residual, DeviceKind.Cpu, nameof(residual));
        TensorCheck.Is(residual, DType.F32, nameof(residual));
        TensorCheck.SameShape(x, residual, nameof(x), nameof(residual));
        if (y.Pointer == residual.Pointer)
            throw new ArgumentException("y must not alias residual: the updated residual is an output", nameof(y));
        using var w = new F32Parameter(weight); // [C]
        RmsNormRows(residual.Pointer, x.Pointer, w, eps, y.Pointer, x.Shape.Rows);
    }

    private static void CheckRmsNormArguments(Tensor x, Tensor weight, Tensor y)
    {
        TensorCheck.OnDevice(x, DeviceKind.Cpu, nameof(x));
        TensorCheck.OnDevice(weight, DeviceKind.Cpu, nameof(weight));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(x, DType.F32, nameof(x));
        TensorCheck.Is(y, DType.F32, nameof(y));
        TensorCheck.IsFloat(weight, nameof(weight));
        if (x.Shape.Rank < 1)
            throw new ArgumentException($"x has shape {x.Shape}, expected rank ≥ 1", nameof(x));
        TensorCheck.SameShape(x, y, nameof(x), nameof(y));
        TensorCheck.ShapeIs(weight, new Shape(x.Shape.LastDim), nameof(weight));
    }

    // Normalises rows of x (after adding `add` into x first, when add is not 0) into y.
    private unsafe void RmsNormRows(nint xp, nint add, F32Parameter weight, float eps, nint yp, long rows)
    {
        int c = weight.Length;
        nint wp = weight.Address;
        ParallelFor(checked((int)rows), 3L * c, (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                float* x = (float*)xp + r * c, y = (float*)yp + r * c, a = add == 0 ? null : (float*)add + r * c; // [C] each
                if (Vector512.IsHardwareAccelerated && c % 16 == 0) RmsNormRow512(x, a, (float*)wp, eps, y, c);
                else RmsNormRow(x, a, (float*)wp, eps, y, c);
            }
        });
    }

    private static unsafe void RmsNormRow(float* x, float* add, float* w, float eps, float* y, int c)
    {
        var row = new Span<float>(x, c); // [C]
        if (add != null) TensorPrimitives.Add(row, new ReadOnlySpan<float>(add, c), row);
        var output = new Span<float>(y, c); // [C]
        float scale = (float)(1 / Math.Sqrt(RowReductions.SumOfSquares(row) / c + eps));
        TensorPrimitives.Multiply(row, scale, output);
        TensorPrimitives.Multiply(output, new ReadOnlySpan<float>(w, c), output);
    }

    // The same arithmetic in two fused AVX-512 passes (squares summed in double, then (x·scale)·w with both roundings):
    // the decode batch's rows are C = 64 to a few thousand floats, where four library calls per row cost ~4× more.
    private static unsafe void RmsNormRow512(float* x, float* add, float* w, float eps, float* y, int c)
    {
        Vector512<double> low = Vector512<double>.Zero, high = low;
        for (int i = 0; i < c; i += 16)
        {
            var v = Vector512.Load(x + i);
            if (add != null)
            {
                v += Vector512.Load(add + i);
                v.Store(x + i);
            }
            var (l, h) = Vector512.Widen(v);
            low = Vector512.FusedMultiplyAdd(l, l, low);
            high = Vector512.FusedMultiplyAdd(h, h, high);
        }
        var scale = Vector512.Create((float)(1 / Math.Sqrt(Vector512.Sum(low + high) / c + eps)));
        for (int i = 0; i < c; i += 16) (Vector512.Load(x + i) * scale * Vector512.Load(w + i)).Store(y + i);
    }
}
