// Writes the step thread's token events into the requests' channels as host work beside the next ops. A channel write
// that finds its reader waiting schedules the reader's continuation on the thread pool; sixteen of those per decode
// step were ~2.5 % of a 16-stream demo step on the step thread (docs/decisions.md, "Token events leave the step
// thread").
using System.Threading.Channels;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>
/// Events queued by the step thread (<see cref="Write"/>, <see cref="Complete"/>) are handed over once per model run
/// (<see cref="Flush"/>) to the backend's host workers (<see cref="IBackend.StartHost"/>: on the CPU the worker that
/// spins between ops picks them up at once, with no thread to wake) and written in the order they were queued; each
/// hand-over waits for the previous one first, so a request's channel sees its events in order and completes after
/// its last one. Only the step thread uses it, and it calls <see cref="Drain"/> before it goes idle.
/// </summary>
internal sealed class TokenEmitter(IBackend backend)
{
    private List<Item> _queued = []; // filled by the step thread until Flush
    private List<Item> _writing = []; // being written by the host work in flight
    private IHostWork? _inFlight;

    // Event null: complete the channel.
    private readonly record struct Item(ChannelWriter<TokenEvent> Writer, TokenEvent? Event);

    /// <summary>Queues <paramref name="e"/> for <paramref name="writer"/> (nothing when it is null).</summary>
    public void Write(ChannelWriter<TokenEvent>? writer, TokenEvent e)
    {
        if (writer is not null) _queued.Add(new Item(writer, e));
    }

    /// <summary>Queues the completion of <paramref name="writer"/>, after the events queued for it so far.</summary>
    public void Complete(ChannelWriter<TokenEvent>? writer)
    {
        if (writer is not null) _queued.Add(new Item(writer, null));
    }

    /// <summary>Starts writing what is queued, after the previous hand-over has been written.</summary>
    public void Flush()
    {
        if (_queued.Count == 0) return;
        Drain();
        (_writing, _queued) = (_queued, _writing);
        _inFlight = backend.StartHost(1, _ => WriteAll());
    }

    /// <summary>Returns once everything flushed has been written (writing it here if no worker has taken it yet).</summary>
    public void Drain()
    {
        var work = _inFlight;
        if (work is null) return;
        _inFlight = null;
        work.Wait();
    }

    private void WriteAll()
    {
        foreach (var item in _writing)
        {
            if (item.Event is { } e) item.Writer.TryWrite(e);
            else item.Writer.TryComplete();
        }
        _writing.Clear();
    }
}
