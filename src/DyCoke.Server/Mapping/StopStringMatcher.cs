// Stop strings over streamed text: text that could still turn into a stop string is held back, so a client never
// sees part of a stop string, however the detokenizer splits it across chunks.
namespace DyCoke.Server.Mapping;

/// <summary>Filters a stream of text pieces, cutting it before the first stop string.</summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private string _pending = "";

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        _stops = stops.Where(s => s.Length > 0).ToArray();
    }

    /// <summary>The stop string that matched, once one has.</summary>
    public string? Matched { get; private set; }

    public bool Stopped => Matched is not null;

    /// <summary>Adds <paramref name="piece"/>; returns the text now safe to emit (everything before a match, or
    /// everything that cannot be the start of a stop string). After a match, returns "" for every call.</summary>
    public string Push(string piece)
    {
        if (Stopped) return "";
        _pending += piece;
        if (_stops.Length == 0)
        {
            string all = _pending;
            _pending = "";
            return all;
        }
        int cut = -1;
        foreach (var stop in _stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                cut = at;
                Matched = stop;
            }
        }
        if (cut >= 0)
        {
            string before = _pending[..cut];
            _pending = "";
            return before;
        }
        int hold = HeldBackLength();
        string emit = _pending[..^hold];
        _pending = _pending[^hold..];
        return emit;
    }

    /// <summary>Ends the stream: returns what was held back (nothing after a match).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }

    // The longest suffix of the pending text that is a proper prefix of some stop string.
    private int HeldBackLength()
    {
        int best = 0;
        foreach (var stop in _stops)
        {
            for (int n = Math.Min(stop.Length - 1, _pending.Length); n > best; n--)
            {
                if (_pending.AsSpan(_pending.Length - n).SequenceEqual(stop.AsSpan(0, n)))
                {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
