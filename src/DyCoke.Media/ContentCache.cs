// What the loader keeps about videos it has seen, by the SHA-256 of their bytes. Every ffprobe or ffmpeg run is a
// process start, and with Debian's ffmpeg (216 shared libraries) the dynamic linker alone takes ~100 ms of CPU per
// start, more than decoding a short clip. Video QA sends the same video again and again (several questions, several
// users), so the loader keeps its probes (a hit skips ffprobe) and, within a byte budget, its preprocessed frames (a
// hit on the same frame indices skips ffmpeg as well).
using System.Security.Cryptography;

namespace DyCoke.Media;

/// <summary>A least-recently-used map from a content key to a value, bounded by the sum of the values' costs. Thread-safe.</summary>
internal sealed class ContentCache<TValue> where TValue : class
{
    private readonly long _capacity;
    private readonly Func<TValue, long> _cost;
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, TValue Value, long Cost)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, TValue Value, long Cost)> _recency = []; // most recently used first
    private long _held, _hits, _misses;

    /// <param name="capacity">The most total cost held (≥ 1).</param>
    /// <param name="cost">An entry's cost: 1 to bound the entry count, its bytes to bound memory.</param>
    public ContentCache(long capacity, Func<TValue, long> cost)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(cost);
        _capacity = capacity;
        _cost = cost;
    }

    /// <summary>Lookups that found a value.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that did not.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Entries held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>Total cost held now.</summary>
    public long Held
    {
        get
        {
            lock (_gate) return _held;
        }
    }

    /// <summary>The value stored for <paramref name="key"/>, which becomes the most recently used; counts a hit or a miss.</summary>
    public bool TryGet(string key, out TValue value)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                value = node.Value.Value;
                _hits++;
                return true;
            }
            _misses++;
        }
        value = null!;
        return false;
    }

    /// <summary>
    /// Stores (or replaces) a value; least recently used entries leave until it fits. A value costing more than the
    /// whole capacity is not stored.
    /// </summary>
    public void Add(string key, TValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        long cost = _cost(value);
        if (cost > _capacity) return;
        lock (_gate)
        {
            if (_entries.Remove(key, out var existing))
            {
                _recency.Remove(existing);
                _held -= existing.Value.Cost;
            }
            while (_held + cost > _capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
                _held -= oldest.Value.Cost;
            }
            _entries[key] = _recency.AddFirst((key, value, cost));
            _held += cost;
        }
    }
}

/// <summary>The key of a video's content in the loader's caches.</summary>
internal static class ContentHash
{
    /// <summary>The hex SHA-256 of the file at <paramref name="path"/>.</summary>
    public static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexString(hash);
    }
}
