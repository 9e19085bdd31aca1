// The step loop (architecture.md §4): one dedicated thread owns the scheduler, the KV pool and the model runner;
// requests arrive through a queue, and each step reaps cancelled sequences, schedules, runs prefill and decode,
// samples and emits one event per sequence. Shutdown drains: new work is refused, in-flight work finishes or is cut.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>Continuous-batching engine over one <see cref="ModelRunner"/>.</summary>
public sealed class Engine : IEngine, IDisposable
{
    private readonly ModelRunner _runner;
    private readonly EngineOptions _options;
    private readonly Action<string> _log;
    private readonly KvCachePool _pool;
    private readonly Scheduler _scheduler;
    private readonly Sampler _sampler = new();
    private readonly TokenEmitter _emitter;
    private readonly ConcurrentQueue<Sequence> _inbox = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly HashSet<int> _endOfTurn;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private int _queued; // sequences submitted and not yet ended, for the queue limit
    private int _disposed;
    private volatile bool _draining;
    private volatile bool _abortAll;
    private volatile EngineSnapshot _snapshot;

    /// <summary>Starts the step thread. The runner's KV slots are split into blocks of the scheduler's block size.</summary>
    public Engine(ModelRunner runner, EngineOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(options);
        options.Scheduler.Validate();
        _runner = runner;
        _emitter = new TokenEmitter(runner.Model.Backend);
        _options = options;
        _log = log ?? (_ => { });
        _pool = new KvCachePool(runner.NumSlots / options.Scheduler.BlockSize, options.Scheduler.BlockSize);
        _scheduler = new Scheduler(_pool, options.Scheduler, runner.Model.Config.TokensPerFrame);
        _endOfTurn = [.. options.EndOfTurnTokenIds];
        MaxModelLength = Math.Min(options.MaxModelLength, _pool.NumSlots);
        _snapshot = new EngineSnapshot(0, 0, 0, _pool.NumBlocks, _pool.NumBlocks, 0, true, false);
        _thread = new Thread(Loop) { IsBackground = true, Name = "dycoke-engine-step" };
        _thread.Start();
    }

    public int MaxModelLength { get; }

    /// <summary>The element type of the runner's KV cache.</summary>
    public DType KvCacheDType => _runner.KvCacheDType;

    public EngineSnapshot Snapshot() => _snapshot;

    public ChannelReader<TokenEvent> Submit(EngineRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Sampling.Validate();
        if (request.DyCoke is { Enabled: true } dycoke)
        {
            dycoke.Validate();
            // Validate keeps L ≥ 1; each sequence scores at its own L − 1, which must be a layer of the model.
            if (dycoke.L >= _runner.Model.Config.Text.NumHiddenLayers)
                throw new ArgumentException($"DyCoke L is {dycoke.L} but the model has {_runner.Model.Config.Text.NumHiddenLayers} layers; L must be in [1, {_runner.Model.Config.Text.NumHiddenLayers - 1}]", nameof(request));
        }
        if (request.PromptIds is not { Length: > 0 }) throw new ArgumentException("the prompt is empty", nameof(request));
        if (request.Sampling.MaxTokens > MaxModelLength - request.PromptIds.Length) // no int overflow at huge max_tokens
            throw new ArgumentException($"prompt ({request.PromptIds.Length} tokens) + max_tokens ({request.Sampling.MaxTokens}) exceeds the maximum length {MaxModelLength}", nameof(request));
        if (_draining) throw new EngineOverloadedException("the server is shutting down", isDraining: true);
        if (!_snapshot.IsAlive) throw new EngineOverloadedException("the engine has stopped");
        if (Interlocked.Increment(ref _queued) > _options.Scheduler.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _queued);
            throw new EngineOverloadedException($"the queue is full ({_options.Scheduler.MaxQueuedRequests} requests in the engine)");
        }
        var channel = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var seq = new Sequence(Interlocked.Increment(ref _nextId), request, _pool.BlockSize, channel.Writer, cancellationToken);
        // A cancelled request must be reaped even when the loop is idle-waiting for work.
        if (cancellationToken.CanBeCanceled) seq.CancellationRegistration = cancellationToken.UnsafeRegister(static s => ((Engine)s!).Wake(), this);
        _inbox.Enqueue(seq);
        _wake.Release();
        return channel.Reader;
    }

    /// <summary>
    /// Refuses new work, lets in-flight sequences finish for up to <paramref name="drainTimeout"/>, then cuts the
    /// rest (reason Aborted) and stops the step thread.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        _draining = true;
        _snapshot = _snapshot with { IsDraining = true }; // the step thread republishes the full picture
        Wake();
        var finished = await Task.WhenAny(_stopped.Task, Task.Delay(drainTimeout)).ConfigureAwait(false);
        if (finished != _stopped.Task)
        {
            _abortAll = true;
            Wake();
            await _stopped.Task.ConfigureAwait(false);
        }
    }

    private void Loop()
    {
        try
        {
            while (true)
            {
                Admit();
                Reap();
                Publish();
                _emitter.Flush();
                if (!_scheduler.HasWork)
                {
                    if (_draining) break;
                    _emitter.Drain(); // nothing may sit unwritten while the thread sleeps
                    _runner.ReleaseScratch(); // an idle engine holds no per-step scratch
                    _wake.Wait();
                    continue;
                }
                Step();
            }
        }
        catch (Exception e)
        {
            _log($"engine step thread died: {e}");
            FailAll($"the engine failed: {e.Message}");
        }
        finally
        {
            try
            {
                _emitter.Flush();
                _emitter.Drain();
            }
            catch (Exception e)
            {
                // Channel writes do not throw; this is only ever host-work start-up failing. Stopping must still finish.
                _log($"engine could not deliver its last events: {e}");
            }
            _snapshot = _snapshot with { IsAlive = false, IsDraining = _draining };
            _stopped.TrySetResult();
        }
    }

    private void Admit()
    {
        while (_inbox.TryDequeue(out var seq)) _scheduler.Add(seq);
    }

    // Cancelled or shutdown-cut sequences leave before scheduling, so their blocks are free for this very step.
    private void Reap()
    {
        foreach (var seq in _scheduler.Running.Concat(_scheduler.Waiting).ToList())
        {
            if (_abortAll) End(seq, EngineFinishReason.Aborted);
            else if (seq.CancellationToken.IsCancellationRequested) End(seq, EngineFinishReason.Cancelled);
        }
    }

    private void Step()
    {
        long start = Stopwatch.GetTimestamp();
        var step = _scheduler.Schedule();
        foreach (var seq in step.Preempted)
        {
            _log($"preempted sequence {seq.Request.RequestId} ({seq.NumTokens} tokens) for recompute");
        }
        if (step.IsEmpty) return;
        double scheduled = Stopwatch.GetElapsedTime(start).TotalSeconds;
        // Decode first: the sequences already running get their token before new prompts add latency.
        var (decodeRun, decodeSample) = Decode(step.Decodes);
        var (prefillRun, prefillSample) = Prefill(step.Prefills);
        _options.StepObserver?.Invoke(new EngineStepStats
        {
            DecodeSequences = step.Decodes.Count,
            PrefillSequences = step.Prefills.Count,
            PrefillTokens = step.PrefillTokens,
            Preempted = step.Preempted.Count,
            ScheduleSeconds = scheduled,
            DecodeSeconds = decodeRun,
            PrefillSeconds = prefillRun,
            SampleSeconds = decodeSample + prefillSample,
            TotalSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
        });
    }

    // Runs the step's prefill chunks; only sequences whose last chunk ran have logits, the others go on next step.
    private (double Run, double Sample) Prefill(IReadOnlyList<PrefillWork> work)
    {
        if (work.Count == 0) return (0, 0);
        long start = Stopwatch.GetTimestamp();
        PrefillResult prefill;
        try
        {
            prefill = _runner.Prefill(work);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OutOfMemoryException)
        {
            _log($"prefill of {work.Count} sequences failed: {e.Message}");
            foreach (var w in work) Fail(w.Sequence, $"generation failed: {e.Message}");
            return (Stopwatch.GetElapsedTime(start).TotalSeconds, 0);
        }
        double run = Stopwatch.GetElapsedTime(start).TotalSeconds;
        foreach (var (seq, message) in prefill.Failed)
        {
            _log($"prefill of sequence {seq.Request.RequestId} failed: {message}");
            Fail(seq, $"generation failed: {message}");
        }
        foreach (var w in work) _scheduler.ReleaseSurplus(w.Sequence); // a failed sequence is Finished: nothing to shrink
        var (_, sample) = RunAndSample<float>(prefill.Completed, _ => prefill.Logits, SampleRow);
        return (run, sample);
    }

    // A decode batch of argmax sequences only (greedy, no penalties) takes its ids from the backend's argmax; any other
    // batch reads the logits back and samples each row on the host.
    private (double Run, double Sample) Decode(IReadOnlyList<Sequence> batch)
    {
        bool argMax = true;
        for (int b = 0; b < batch.Count && argMax; b++) argMax = batch[b].Sampling.TakesArgMax;
        return argMax
            ? RunAndSample(batch, _runner.DecodeArgMax, static (_, ids, b, _) => ids.Span[b])
            : RunAndSample(batch, _runner.Decode, SampleRow);
    }

    private int SampleRow(IReadOnlyList<Sequence> batch, ReadOnlyMemory<float> logits, int b, Sequence seq)
    {
        int v = logits.Length / batch.Count;
        return _sampler.Sample(logits.Span.Slice(b * v, v), seq.Sampling, seq.Random, seq.OutputCounts);
    }

    // Runs the model over the batch, then takes each sequence's token from the output (logits [B·V] or ids [B]) and
    // streams it. Returns (model seconds, sampling seconds) for the step's statistics.
    private (double Run, double Sample) RunAndSample<T>(IReadOnlyList<Sequence> batch, Func<IReadOnlyList<Sequence>, ReadOnlyMemory<T>> run,
        Func<IReadOnlyList<Sequence>, ReadOnlyMemory<T>, int, Sequence, int> pick)
    {
        if (batch.Count == 0) return (0, 0);
        long start = Stopwatch.GetTimestamp();
        ReadOnlyMemory<T> output;
        try
        {
            output = run(batch);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OutOfMemoryException)
        {
            _log($"batch of {batch.Count} failed: {e.Message}");
            foreach (var seq in batch) Fail(seq, $"generation failed: {e.Message}");
            return (Stopwatch.GetElapsedTime(start).TotalSeconds, 0);
        }
        long sampled = Stopwatch.GetTimestamp();
        for (int b = 0; b < batch.Count; b++)
        {
            var seq = batch[b];
            int token = pick(batch, output, b, seq);
            seq.AppendToken(token);
            var stopIds = seq.Sampling.StopTokenIds;
            bool stop = !seq.Sampling.IgnoreEos && _endOfTurn.Contains(token) || stopIds.Count > 0 && stopIds.Contains(token);
            if (stop) End(seq, EngineFinishReason.Stop, token);
            else
            {
                _emitter.Write(seq.Events, new TokenGenerated(token));
                if (seq.OutputIds.Count >= seq.Sampling.MaxTokens) End(seq, EngineFinishReason.Length);
            }
        }
        _emitter.Flush(); // decode tokens go out before the step's prefill runs
        return (Stopwatch.GetElapsedTime(start, sampled).TotalSeconds, Stopwatch.GetElapsedTime(sampled).TotalSeconds);
    }

    private void End(Sequence seq, EngineFinishReason reason, int? stopToken = null)
    {
        Release(seq);
        _emitter.Write(seq.Events, new SequenceFinished(reason, seq.NumPromptTokens, seq.OutputIds.Count, stopToken)
        {
            VideoTokens = seq.NumVideoTokens,
            DyCoke = seq.DyCokeStats,
        });
        _emitter.Complete(seq.Events);
    }

    private void Fail(Sequence seq, string message)
    {
        Release(seq);
        _emitter.Write(seq.Events, new SequenceFailed(message));
        _emitter.Complete(seq.Events);
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // The engine is gone; nothing is left to reap.
        }
    }

    // Frees the KV blocks and the frames: the engine owns an accepted request's video tensors until it ends.
    private void Release(Sequence seq)
    {
        _scheduler.Finish(seq);
        Interlocked.Decrement(ref _queued);
        foreach (var video in seq.Request.Videos) video.Dispose();
        seq.CancellationRegistration.Dispose();
    }

    private void FailAll(string message)
    {
        Admit();
        foreach (var seq in _scheduler.Running.Concat(_scheduler.Waiting).ToList()) Fail(seq, message);
    }

    private void Publish() => _snapshot = new EngineSnapshot(_scheduler.Running.Count, _scheduler.Waiting.Count + _inbox.Count,
        _pool.NumUsedBlocks, _pool.NumFreeBlocks, _pool.NumBlocks, _scheduler.NumPreemptions, true, _draining);

    /// <summary>Stops the step thread (cutting in-flight work at once) and frees the runner.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        StopAsync(TimeSpan.Zero).GetAwaiter().GetResult();
        _runner.Dispose();
        _wake.Dispose();
    }
}
