// The gated activation of the Qwen2 MLP: silu(gate) · up over the concatenated gate_up projection.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// y[r, i] = silu(g)·u with g = gateUp[r, i], u = gateUp[r, I + i], silu(g) = g·sigmoid(g).
    /// gateUp F32 [R, 2I] (leading dims fold into R), y F32 [R, I] with the same leading dims.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    public unsafe void SiluMul(Tensor gateUp, Tensor y)
    {
        TensorCheck.OnDevice(gateUp, DeviceKind.Cpu, nameof(gateUp));
        TensorCheck.OnDevice(y, DeviceKind.Cpu, nameof(y));
        TensorCheck.Is(gateUp, DType.F32, nameof(gateUp));
        TensorCheck.Is(y, DType.F32, nameof(y));
        if (gateUp.Shape.Rank < 1 || gateUp.Shape.LastDim % 2 != 0)
            throw new ArgumentException($"gateUp has shape {gateUp.Shape}, expected [R, 2I] with an even last dimension", nameof(gateUp));
        TensorCheck.ShapeIs(y, gateUp.Shape.WithDim(-1, gateUp.Shape.LastDim / 2), nameof(y));

        int inter = checked((int)y.Shape.LastDim); // I
        nint gp = gateUp.Pointer, yp = y.Pointer;
        ParallelFor(checked((int)y.Shape.Rows), 8L * inter, (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                float* gate = (float*)gp + 2 * r * inter, up = gate + inter; // [I] each
                SiluMulRow(gate, up, (float*)yp + r * inter, inter);
            }
        });
    }

    // One fused pass with AVX-512 (e^-g, 1 + e, a product and a division per element); TensorPrimitives' Sigmoid
    // then two Multiply passes cost ~5× more per element on the demo MLP, and the flat [1, 2·T·I] layout gives the
    // whole decode batch as one row.
    private static unsafe void SiluMulRow(float* gate, float* up, float* y, int n)
    {
        int i = 0;
        if (VectorExp.IsSupported)
        {
            for (; i + 16 <= n; i += 16)
            {
                var g = Vector512.Load(gate + i);
                var e = VectorExp.ExpNegated(g); // e^-g
                (g * Vector512.Load(up + i) / (Vector512<float>.One + e)).Store(y + i);
            }
            if (i == n) return;
        }
        var gateRest = new ReadOnlySpan<float>(gate + i, n - i);
        var output = new Span<float>(y + i, n - i);
        TensorPrimitives.Sigmoid(gateRest, output);
        TensorPrimitives.Multiply(output, gateRest, output);
        TensorPrimitives.Multiply(output, new ReadOnlySpan<float>(up + i, n - i), output);
    }
}
