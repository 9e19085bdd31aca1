// Per-row top-k selection (DyCoke's kept-token choice, sampling) with a stable order: value descending, index ascending.
using System.Buffers;

namespace DyCoke.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// Per row of scores F32 [R, N] (leading dims fold into R): the k largest values in descending order, equal values
    /// by ascending index. NaN ranks above +Inf (as torch.topk), so NaNs come first, by index; −0 and +0 are equal.
    /// values F32 [R, k]; indices I32 [R, k]; 0 ≤ k ≤ N.
    /// </summary>
    /// <exception cref="ArgumentException">Bad device, dtype or shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or larger than N.</exception>
    public unsafe void TopK(Tensor scores, int k, Tensor values, Tensor indices)
    {
        TensorCheck.OnDevice(scores, DeviceKind.Cpu, nameof(scores));
        TensorCheck.OnDevice(values, DeviceKind.Cpu, nameof(values));
        TensorCheck.OnDevice(indices, DeviceKind.Cpu, nameof(indices));
        TensorCheck.Is(scores, DType.F32, nameof(scores));
        TensorCheck.Is(values, DType.F32, nameof(values));
        TensorCheck.Is(indices, DType.I32, nameof(indices));
        if (scores.Shape.Rank < 1)
            throw new ArgumentException($"scores has shape {scores.Shape}, expected rank ≥ 1", nameof(scores));
        int n = checked((int)scores.Shape.LastDim); // N
        if (k < 0 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, {n}] for scores {scores.Shape}");
        TensorCheck.ShapeIs(values, scores.Shape.WithDim(-1, k), nameof(values));
        TensorCheck.ShapeIs(indices, scores.Shape.WithDim(-1, k), nameof(indices));
        if (k == 0) return;

        nint sp = scores.Pointer, vp = values.Pointer, ip = indices.Pointer;
        ParallelFor(checked((int)scores.Shape.Rows), 4L * n, (start, end) =>
        {
            ulong[] keys = ArrayPool<ulong>.Shared.Rent(n); // [N] packed (rank, index)
            try
            {
                for (long r = start; r < end; r++)
                {
                    var row = new ReadOnlySpan<float>((float*)sp + r * n, n); // [N]
                    var top = new Span<float>((float*)vp + r * k, k); // [k]
                    var at = new Span<int>((int*)ip + r * k, k); // [k]
                    TopKSelection.Select(row, keys.AsSpan(0, n), top, at);
                }
            }
            finally
            {
                ArrayPool<ulong>.Shared.Return(keys);
            }
        });
    }
}
