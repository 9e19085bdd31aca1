// Byte-level BPE over token ids: a chunk's UTF-8 bytes start as single-byte tokens and the lowest-ranked adjacent
// pair is merged until none is left, exactly as Hugging Face's BPE model does. Thread-safe; results are cached.
using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace DyCoke.Model.Text;

internal sealed class BytePairEncoder
{
    private const int MaxCachedChunkLength = 64;
    private const int MaxCacheEntries = 1 << 17;
    private const int StackLimit = 256;

    private readonly int[] _byteToId; // [256] token id of each single byte
    private readonly Dictionary<long, MergeRule> _merges; // (left id, right id) packed -> rank and merged id
    private readonly bool _ignoreMerges;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabulary;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount; // ConcurrentDictionary.Count takes every lock, far too slow to ask per chunk

    private readonly record struct MergeRule(int Rank, int Id);

    /// <param name="vocabulary">Byte-level spelled token -> id.</param>
    /// <param name="merges">Merge rules in rank order, as (left id, right id, merged id).</param>
    /// <param name="ignoreMerges">Emit a chunk that is itself a vocabulary entry without merging (tokenizer.json's
    /// <c>ignore_merges</c>).</param>
    public BytePairEncoder(Dictionary<string, int> vocabulary, IReadOnlyList<(int Left, int Right, int Merged)> merges, bool ignoreMerges)
    {
        _byteToId = new int[256];
        for (int b = 0; b < 256; b++)
        {
            if (!vocabulary.TryGetValue(ByteLevelAlphabet.ToChar((byte)b).ToString(), out _byteToId[b]))
                throw new ArgumentException($"the vocabulary has no token for byte 0x{b:X2}", nameof(vocabulary));
        }
        _merges = new Dictionary<long, MergeRule>(merges.Count, PairKeyComparer.Instance);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right, merged) = merges[rank];
            _merges[Pack(left, right)] = new MergeRule(rank, merged); // a repeated pair takes its last rank, as in HF
        }
        _ignoreMerges = ignoreMerges;
        _vocabulary = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Appends the ids of one pre-tokenized chunk (valid UTF-16, already normalized) to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> chunk, List<int> output)
    {
        if (chunk.Length <= MaxCachedChunkLength && _cacheLookup.TryGetValue(chunk, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        int byteCount = Encoding.UTF8.GetByteCount(chunk);
        byte[]? rentedBytes = byteCount > StackLimit ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        Span<byte> bytes = rentedBytes ?? stackalloc byte[StackLimit]; // [byteCount]
        try
        {
            bytes = bytes[..Encoding.UTF8.GetBytes(chunk, bytes)];
            int[] ids = _ignoreMerges && TryWholeToken(bytes, out int whole) ? [whole] : Merge(bytes);
            if (chunk.Length <= MaxCachedChunkLength && Volatile.Read(ref _cacheCount) < MaxCacheEntries && _cacheLookup.TryAdd(chunk, ids))
                Interlocked.Increment(ref _cacheCount);
            output.AddRange(ids);
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
        }
    }

    private bool TryWholeToken(ReadOnlySpan<byte> bytes, out int id)
    {
        Span<char> spelled = bytes.Length <= StackLimit ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) spelled[i] = ByteLevelAlphabet.ToChar(bytes[i]);
        return _vocabulary.TryGetValue(spelled, out id);
    }

    // Symbols form a linked list over the byte positions; a min-heap of (rank, position) always yields the lowest
    // rank and, among equal ranks, the leftmost pair. Stale heap entries are skipped when popped.
    private int[] Merge(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        if (n == 1) return [_byteToId[bytes[0]]];
        int[] rented = ArrayPool<int>.Shared.Rent(3 * n);
        long[] heap = ArrayPool<long>.Shared.Rent(3 * n); // (rank << 32 | position); each merge adds at most 2
        try
        {
            Span<int> ids = rented.AsSpan(0, n);      // [n] token id per symbol, -1 once merged into its left neighbour
            Span<int> next = rented.AsSpan(n, n);     // [n] next live symbol, -1 at the end
            Span<int> prev = rented.AsSpan(2 * n, n); // [n] previous live symbol, -1 at the start
            int heapSize = 0;
            for (int i = 0; i < n; i++)
            {
                ids[i] = _byteToId[bytes[i]];
                next[i] = i + 1 < n ? i + 1 : -1;
                prev[i] = i - 1;
            }
            for (int i = 0; i + 1 < n; i++) PushPair(ids, i, i + 1, heap, ref heapSize);

            int live = n;
            while (heapSize > 0)
            {
                long top = Pop(heap, ref heapSize);
                int pos = (int)top, right = next[pos];
                if (ids[pos] < 0 || right < 0) continue;
                if (!_merges.TryGetValue(Pack(ids[pos], ids[right]), out MergeRule rule) || rule.Rank != (int)(top >> 32)) continue;
                ids[pos] = rule.Id;
                ids[right] = -1;
                next[pos] = next[right];
                if (next[pos] >= 0) prev[next[pos]] = pos;
                live--;
                if (prev[pos] >= 0) PushPair(ids, prev[pos], pos, heap, ref heapSize);
                if (next[pos] >= 0) PushPair(ids, pos, next[pos], heap, ref heapSize);
            }

            var result = new int[live];
            for (int i = 0, k = 0; i >= 0; i = next[i]) result[k++] = ids[i];
            return result;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
            ArrayPool<long>.Shared.Return(heap);
        }
    }

    private void PushPair(ReadOnlySpan<int> ids, int left, int right, long[] heap, ref int size)
    {
        if (!_merges.TryGetValue(Pack(ids[left], ids[right]), out MergeRule rule)) return;
        long item = ((long)rule.Rank << 32) | (uint)left;
        int i = size++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent] <= item) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = item;
    }

    private static long Pop(long[] heap, ref int size)
    {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return top;
    }

    private static long Pack(int left, int right) => ((long)left << 32) | (uint)right;
}
