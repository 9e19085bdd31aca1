// Probe results by content: every ffprobe run is a process start, and with Debian's ffmpeg (216 shared libraries)
// the dynamic linker alone takes ~100 ms of CPU per start, the same as the ffmpeg run that decodes the frames. Video
// QA sends the same video again and again (several questions, several users), so its metadata is kept by the
// SHA-256 of its bytes: a hit skips ffprobe, while the frames are still decoded from the bytes of the request itself.
using System.Security.Cryptography;

namespace DyCoke.Media;

/// <summary>A bounded least-recently-used map from a video's content hash to its probe. Thread-safe.</summary>
internal sealed class ProbeCache
{
    private readonly int _capacity;
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, VideoInfo Info)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, VideoInfo Info)> _recency = []; // most recently used first
    private long _hits, _misses;

    /// <param name="capacity">Probes kept (≥ 1).</param>
    public ProbeCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Lookups that found a probe.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that did not.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Probes held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>The hex SHA-256 of the file at <paramref name="path"/>: the cache key of its content.</summary>
    public static async Task<string> ContentKeyAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexString(hash);
    }

    /// <summary>The probe stored for <paramref name="key"/>, which becomes the most recently used; counts a hit or a miss.</summary>
    public bool TryGet(string key, out VideoInfo info)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                info = node.Value.Info;
                _hits++;
                return true;
            }
            _misses++;
        }
        info = null!;
        return false;
    }

    /// <summary>Stores (or refreshes) a probe; the least recently used one leaves when the cache is full.</summary>
    public void Add(string key, VideoInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                _recency.Remove(existing);
                _entries.Remove(key);
            }
            else if (_entries.Count == _capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }
            _entries[key] = _recency.AddFirst((key, info));
        }
    }
}
