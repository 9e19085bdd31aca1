// Top-k selection over a host row with a stable order (value descending, index ascending), shared by the CPU TopK op
// and by host-side callers (DyCoke's kept-token choice): each (value, index) becomes one ulong whose ascending order is
// the wanted order, so selection and sorting are integer work on distinct keys, O(n) plus a sort of the k chosen.
using System.Buffers;
using System.Runtime.CompilerServices;

namespace DyCoke.Tensors;

/// <summary>Top-k of a float row by packed (rank, index) keys and quickselect.</summary>
public static class TopKSelection
{
    /// <summary>
    /// values/indices [k] ← the k largest of <paramref name="row"/>, value descending then index ascending; NaN ranks
    /// above +Inf, −0 equals +0. keys is scratch of row's length.
    /// </summary>
    public static void Select(ReadOnlySpan<float> row, Span<ulong> keys, Span<float> values, Span<int> indices)
    {
        int k = values.Length;
        PackAndPartition(row, keys, k);
        keys[..k].Sort();
        for (int j = 0; j < k; j++)
        {
            int index = (int)(uint)keys[j];
            indices[j] = index;
            values[j] = row[index];
        }
    }

    // keys[i] ← (rank of row[i], i); afterwards keys[..k] holds the k best, in no particular order.
    private static void PackAndPartition(ReadOnlySpan<float> row, Span<ulong> keys, int k)
    {
        for (int i = 0; i < row.Length; i++)
            keys[i] = ((ulong)DescendingRank(row[i]) << 32) | (uint)i;
        if (k < keys.Length) PartitionSmallest(keys, k);
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

    /// <summary>
    /// The indices of the <paramref name="k"/> largest scores (equal values: the lower index wins; NaN ranks above
    /// +Inf), in ascending index order: the kept set, not a ranking.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or larger than the row.</exception>
    public static int[] IndicesAscending(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, scores.Length);
        // Pooled: DyCoke selects for every video sequence at many decode steps.
        ulong[] rented = ArrayPool<ulong>.Shared.Rent(scores.Length);
        try
        {
            var keys = rented.AsSpan(0, scores.Length); // [N] packed (rank, index)
            PackAndPartition(scores, keys, k);
            var kept = new int[k]; // [k]
            for (int j = 0; j < k; j++) kept[j] = (int)(uint)keys[j];
            Array.Sort(kept);
            return kept;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }
    }
}
