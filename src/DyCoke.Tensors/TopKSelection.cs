// Top-k selection over a host row with a stable order (value descending, index ascending), shared by the CPU TopK op
// and by host-side callers (DyCoke's kept-token choice). Each value maps to an integer rank whose ascending order is the
// wanted one: the op packs (rank, index) into distinct ulongs and quickselects then sorts the k chosen (it returns them
// ranked); DyCoke's set, wanted in index order, comes from a radix select of the k-th rank and one ordered pass.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        for (int i = 0; i < row.Length; i++)
            keys[i] = ((ulong)DescendingRank(row[i]) << 32) | (uint)i;
        if (k < keys.Length) PartitionSmallest(keys, k); // keys[..k] now the k best, in no particular order
        keys[..k].Sort();
        for (int j = 0; j < k; j++)
        {
            int index = (int)(uint)keys[j];
            indices[j] = index;
            values[j] = row[index];
        }
    }

    // ranks[i] = DescendingRank(row[i]), sixteen at a time where AVX-512 runs.
    private static void Ranks(ReadOnlySpan<float> row, Span<uint> ranks)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var signBit = Vector512.Create(0x8000_0000u);
            var infinity = Vector512.Create(0x7F80_0000u);
            for (; i + 16 <= row.Length; i += 16)
            {
                var bits = Vector512.Create(row.Slice(i, 16)).AsUInt32();
                bits = Vector512.ConditionalSelect(Vector512.Equals(bits, signBit), Vector512<uint>.Zero, bits); // −0 → +0
                var negative = Vector512.Equals(bits & signBit, signBit);
                var rank = ~Vector512.ConditionalSelect(negative, ~bits, bits | signBit);
                var nan = Vector512.GreaterThan(bits & ~signBit, infinity);
                Vector512.ConditionalSelect(nan, Vector512<uint>.Zero, rank).CopyTo(ranks.Slice(i, 16));
            }
        }
        for (; i < row.Length; i++) ranks[i] = DescendingRank(row[i]);
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
    /// <remarks>
    /// DyCoke reselects with this for every video sequence whose attention moved, thousands of scores each at 32 frames,
    /// so it avoids comparison sorts, whose branches mispredict on fresh scores (quickselect and a sort of the kept ids
    /// measured 75 µs at n = 3,136, k = 940): a radix select finds the rank of the k-th best with counting passes (see
    /// KthSmallest), then one pass in index order takes every better score and the first of the tied ones, already
    /// ascending.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or larger than the row.</exception>
    public static int[] IndicesAscending(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, scores.Length);
        int n = scores.Length;
        var kept = new int[k]; // [k]
        if (k == 0) return kept;
        // Pooled: DyCoke selects for every video sequence at many decode steps.
        uint[] rented = ArrayPool<uint>.Shared.Rent(2 * n);
        try
        {
            var ranks = rented.AsSpan(0, n); // [N] smaller is better
            var scratch = rented.AsSpan(n, n); // [N] the select's working copy, then the emitted indices
            Ranks(scores, ranks);
            ranks.CopyTo(scratch);
            uint threshold = KthSmallest(scratch, k);
            int better = 0;
            foreach (uint r in ranks) better += r < threshold ? 1 : 0;
            int ties = k - better; // of the scores ranked exactly at the threshold, the first `ties` by index are kept
            // Branch-free: every index is written at the next free place, which advances only when the index is kept
            // (about one in three at random: a branch would mispredict on a third of the scores).
            var emitted = MemoryMarshal.Cast<uint, int>(scratch); // [N]
            int j = 0;
            for (int i = 0; i < n; i++)
            {
                uint r = ranks[i];
                int tie = (r == threshold ? 1 : 0) & (ties > 0 ? 1 : 0);
                ties -= tie;
                emitted[j] = i;
                j += (r < threshold ? 1 : 0) | tie;
                if (j == k) break;
            }
            emitted[..k].CopyTo(kept);
            return kept;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(rented);
        }
    }

    private const int MaxDigitBits = 11;

    // The k-th smallest value (1-based) of ranks, by most-significant-digit radix select over the bits in which the
    // ranks differ: DyCoke's probabilities share sign and most exponent bits, so fixed digits would pile every value
    // into a few buckets. Each pass counts the candidates' next digit, sized to the candidates (a 2^11-bucket histogram
    // cleared for 400 scores cost more than the counting), and keeps those in the chosen bucket for the next pass.
    // Two interleaved counters per digit, because consecutive increments of one counter wait on each other.
    [SkipLocalsInit]
    private static uint KthSmallest(Span<uint> ranks, int k)
    {
        uint min = TensorPrimitives.Min<uint>(ranks), max = TensorPrimitives.Max<uint>(ranks);
        int width = 32 - BitOperations.LeadingZeroCount(max - min); // bits [0, width) of (rank − min) still undecided
        Span<int> counters = stackalloc int[2 << MaxDigitBits];
        var candidates = ranks; // filtered in place: the ranks still able to be the k-th
        int remaining = k;
        uint found = 0; // the decided bits of (k-th − min)
        while (width > 0)
        {
            int n = candidates.Length;
            int bits = Math.Min(width, Math.Clamp(BitOperations.Log2((uint)n) + 1, 4, MaxDigitBits));
            int shift = width - bits;
            uint digitMask = (1u << bits) - 1;
            var histogram = counters[..(2 << bits)]; // [2^bits, 2]
            histogram.Clear();
            int i = 0;
            for (; i + 1 < n; i += 2)
            {
                histogram[(int)(((candidates[i] - min) >> shift) & digitMask) * 2]++;
                histogram[(int)(((candidates[i + 1] - min) >> shift) & digitMask) * 2 + 1]++;
            }
            if (i < n) histogram[(int)(((candidates[i] - min) >> shift) & digitMask) * 2]++;
            int digit = 0, below = 0;
            while (below + histogram[2 * digit] + histogram[2 * digit + 1] < remaining)
            {
                below += histogram[2 * digit] + histogram[2 * digit + 1];
                digit++;
            }
            remaining -= below;
            found |= (uint)digit << shift;
            width = shift;
            if (width == 0) break;
            // Keep the candidates whose decided bits match (written over the front of the span, which is scratch).
            int kept = 0;
            uint mask = ~((1u << shift) - 1);
            for (int j = 0; j < n; j++)
            {
                uint r = candidates[j];
                candidates[kept] = r;
                kept += ((r - min) & mask) == found ? 1 : 0;
            }
            candidates = candidates[..kept];
        }
        return min + found;
    }
}
