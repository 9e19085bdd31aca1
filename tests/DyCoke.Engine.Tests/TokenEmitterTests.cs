// The step thread's token events reach the requests' channels through TokenEmitter, written by the backend's host
// workers: per channel in order, completion last, nothing lost when a hand-over is taken over by the waiter.
using System.Reflection;
using System.Threading.Channels;
using DyCoke.Engine;
using DyCoke.Tensors;
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class TokenEmitterTests : IDisposable
{
    private readonly CpuBackend _cpu = new(new CpuBackendOptions { Threads = 1 }); // behind the deferring proxy

    public void Dispose() => _cpu.Dispose();

    [Fact]
    public void Nothing_is_written_before_a_flush_and_everything_in_order_after_a_drain()
    {
        var (emitter, started) = DeferredEmitter();
        var channel = Channel.CreateUnbounded<TokenEvent>();

        emitter.Write(channel.Writer, new TokenGenerated(1));
        emitter.Write(channel.Writer, new TokenGenerated(2));
        emitter.Complete(channel.Writer);
        Assert.False(channel.Reader.TryPeek(out _));
        Assert.Equal(0, started.Count);

        emitter.Flush();
        Assert.Equal(1, started.Count);
        Assert.False(channel.Reader.TryPeek(out _)); // the deferred host work has not run yet

        emitter.Drain();
        Assert.Equal([1, 2], ReadTokens(channel.Reader));
        Assert.True(channel.Reader.Completion.IsCompleted);
    }

    [Fact]
    public void A_flush_writes_the_previous_hand_over_before_starting_the_next()
    {
        var (emitter, started) = DeferredEmitter();
        var channel = Channel.CreateUnbounded<TokenEvent>();

        emitter.Write(channel.Writer, new TokenGenerated(10));
        emitter.Flush();
        emitter.Write(channel.Writer, new TokenGenerated(11));
        emitter.Flush(); // waits for (here: runs) the first hand-over, then starts the second

        Assert.Equal(2, started.Count);
        Assert.Equal([10], ReadTokens(channel.Reader));
        emitter.Drain();
        Assert.Equal([11], ReadTokens(channel.Reader));
        emitter.Drain(); // nothing in flight: returns at once
        emitter.Flush(); // nothing queued: starts nothing
        Assert.Equal(2, started.Count);
    }

    [Fact]
    public void A_null_writer_is_skipped()
    {
        var (emitter, started) = DeferredEmitter();
        emitter.Write(null, new TokenGenerated(1));
        emitter.Complete(null);
        emitter.Flush();
        Assert.Equal(0, started.Count);
    }

    [Fact]
    public async Task Every_channel_gets_its_events_in_order_when_the_workers_write_them()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2 });
        var emitter = new TokenEmitter(backend);
        const int streams = 8, tokens = 500;
        var channels = Enumerable.Range(0, streams).Select(_ => Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true })).ToArray();
        var readers = channels.Select(c => Task.Run(async () =>
        {
            var got = new List<int>();
            await foreach (var e in c.Reader.ReadAllAsync()) got.Add(((TokenGenerated)e).TokenId);
            return got;
        })).ToArray();

        // One "step" per token: every stream gets one event, then the step hands them over, as the engine does.
        for (int t = 0; t < tokens; t++)
        {
            foreach (var c in channels) emitter.Write(c.Writer, new TokenGenerated(t));
            if (t == tokens - 1)
                foreach (var c in channels) emitter.Complete(c.Writer);
            emitter.Flush();
        }
        emitter.Drain();

        foreach (var got in await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken))
            Assert.Equal(Enumerable.Range(0, tokens), got);
    }

    // An emitter whose hand-overs run only when waited for, and the count of hand-overs it started.
    private (TokenEmitter Emitter, DeferredHostBackend.Started Started) DeferredEmitter()
    {
        var emitter = new TokenEmitter(DeferredHostBackend.Wrap(_cpu, out var started));
        return (emitter, started);
    }

    private static List<int> ReadTokens(ChannelReader<TokenEvent> reader)
    {
        var tokens = new List<int>();
        while (reader.TryRead(out var e))
            if (e is TokenGenerated g) tokens.Add(g.TokenId);
        return tokens;
    }
}

/// <summary>Forwards every <see cref="IBackend"/> call, except that host work runs only when it is waited for (a
/// worker that never gets to it), and counts the host work started.</summary>
public class DeferredHostBackend : ForwardingBackend
{
    public sealed class Started
    {
        public int Count;
    }

    private Started _started = null!;

    public static IBackend Wrap(IBackend inner, out Started started)
    {
        var (proxy, self) = WrapAs<DeferredHostBackend>(inner);
        self._started = started = new Started();
        return proxy;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name != nameof(IBackend.StartHost)) return Forward(method, args);
        _started.Count++;
        return new DeferredWork((int)args![0]!, (Action<int>)args[1]!);
    }

    private sealed class DeferredWork(int count, Action<int> body) : IHostWork
    {
        private bool _done;

        public void Wait()
        {
            if (_done) return;
            _done = true;
            for (int i = 0; i < count; i++) body(i);
        }
    }
}
