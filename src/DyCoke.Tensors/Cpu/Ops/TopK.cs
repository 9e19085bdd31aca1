// Per-row top-k selection (DyCoke's kept-token choice, sampling) with a stable order: value descending, index ascending.
using System.Buffers;
using System.Runtime.CompilerServices;

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
                    SelectTopK(row, keys.AsSpan(0, n), top, at);
                }
            }
            finally
            {
                ArrayPool<ulong>.Shared.Return(keys);
            }
        });
    }

    // Each (value, index) becomes one ulong whose ascending order is the wanted output order, so selection and sorting
    // are plain integer work with every key distinct (the index is in the low half).
    private static void SelectTopK(ReadOnlySpan<float> row, Span<ulong> keys, Span<float> values, Span<int> indices)
    {
        for (int i = 0; i < row.Length; i++)
            keys[i] = ((ulong)DescendingRank(row[i]) << 32) | (uint)i;
        int k = values.Length;
        if (k < keys.Length)
            PartitionSmallest(keys, k);
        keys[..k].Sort();
        for (int j = 0; j < k; j++)
        {
            int index = (int)(uint)keys[j];
            indices[j] = index;
            values[j] = row[index];
        }
    }

    // A uint that grows as the float shrinks: NaN → 0 (first), +Inf next, …, −Inf last; −0 maps like +0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint DescendingRank(float value)
    {
        if (float.IsNaN(value)) return 0;
        uint bits = BitConverter.SingleToUInt32Bits(value == 0 ? 0f : value);
        uint ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ~ascending; // ≥ 0x007F_FFFF for every non-NaN value, so NaN alone ranks 0
    }

    // Quickselect (median-of-three pivot): afterwards keys[..k] holds the k smallest keys, in no particular order.
    private static void PartitionSmallest(Span<ulong> keys, int k)
    {
        int lo = 0, hi = keys.Length - 1;
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (keys[mid] < keys[lo]) (keys[mid], keys[lo]) = (keys[lo], keys[mid]);
            if (keys[hi] < keys[lo]) (keys[hi], keys[lo]) = (keys[lo], keys[hi]);
            if (keys[hi] < keys[mid]) (keys[hi], keys[mid]) = (keys[mid], keys[hi]);
            ulong pivot = keys[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }
            // Now keys[lo..j] ≤ pivot ≤ keys[i..hi]; keep only the side holding position k − 1.
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else return;
        }
    }
}
