// Incremental server-sent-events framing: bytes arrive in whatever pieces the socket delivers, and each complete
// event's data is handed out as soon as its terminating blank line is seen, so the caller can timestamp it then.
using System.Runtime.InteropServices;
using System.Text;

namespace DyCoke.LoadGen;

/// <summary>Splits an SSE byte stream into the <c>data</c> payloads of its events (WHATWG event-stream rules, the
/// subset OpenAI-style servers use: data lines joined by '\n', comments and other fields ignored).</summary>
internal sealed class SseParser
{
    private readonly List<byte> _line = [];
    private readonly StringBuilder _data = new();
    private bool _hasData;

    /// <summary>Feeds the next bytes; appends every event completed by them to <paramref name="events"/>.</summary>
    public void Push(ReadOnlySpan<byte> bytes, List<string> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (byte b in bytes)
        {
            if (b == (byte)'\n')
            {
                // Lines are decoded whole, so a multi-byte UTF-8 character split across reads is never cut.
                int length = _line.Count > 0 && _line[^1] == (byte)'\r' ? _line.Count - 1 : _line.Count;
                OnLine(Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_line)[..length]), events);
                _line.Clear();
            }
            else _line.Add(b);
        }
    }

    /// <summary>Ends the stream: a last event with no blank line after it is still handed out.</summary>
    /// <remarks>The SSE rules drop such an event; we keep it because a server that closes straight after
    /// <c>data: [DONE]</c> did finish, and counting it as a truncated response would misreport that server.</remarks>
    public void Complete(List<string> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_line.Count > 0)
        {
            var line = CollectionsMarshal.AsSpan(_line);
            OnLine(Encoding.UTF8.GetString(line[^1] == (byte)'\r' ? line[..^1] : line), events);
            _line.Clear();
        }
        Dispatch(events);
    }

    private void OnLine(string line, List<string> events)
    {
        if (line.Length == 0)
        {
            Dispatch(events);
            return;
        }
        if (line[0] == ':') return; // comment, e.g. a keep-alive
        int colon = line.IndexOf(':');
        string field = colon < 0 ? line : line[..colon];
        if (field != "data") return; // event, id and retry mean nothing to a chat-completion client
        string value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' ')) value = value[1..];
        if (_hasData) _data.Append('\n');
        _data.Append(value);
        _hasData = true;
    }

    private void Dispatch(List<string> events)
    {
        if (!_hasData) return;
        events.Add(_data.ToString());
        _data.Clear();
        _hasData = false;
    }
}
