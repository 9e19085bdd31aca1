// The gated activation of the Qwen2 MLP: silu(gate) · up over the concatenated gate_up projection.
using System.Numerics.Tensors;

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
                var gate = new ReadOnlySpan<float>((float*)gp + 2 * r * inter, inter); // [I]
                var up = new ReadOnlySpan<float>((float*)gp + (2 * r + 1) * inter, inter); // [I]
                var output = new Span<float>((float*)yp + r * inter, inter); // [I]
                TensorPrimitives.Sigmoid(gate, output);
                TensorPrimitives.Multiply(output, gate, output);
                TensorPrimitives.Multiply(output, up, output);
            }
        });
    }
}
