// Decode slot lists with DyCoke's dynamic pruning (dycoke-algorithm.md §4, §7), each sequence with its own L: layers
// < L_b attend to every slot of sequence b, layer L_b − 1 hands its mean attention back, b decides its step, and layers
// ≥ L_b attend to prefix ∪ kept visual ∪ suffix. Sequences without DP state (or unpruned this step) keep their full lists.
using System.Buffers;
using DyCoke.Compression;
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>One sequence of a DyCoke decode step.</summary>
/// <param name="Slots">The KV slot of every logical position 0..p, the new token's slot last (so p = Length − 1).</param>
/// <param name="Pruning">The sequence's DP state, or null when it does not use DP (no video, DyCoke off).</param>
public readonly record struct DyCokeSequence(ReadOnlyMemory<int> Slots, DynamicKvPruning? Pruning);

/// <summary>
/// The <see cref="IDecodeKvLists"/> of one decode step of a batch mixing DP sequences with different L and plain
/// sequences. The layers split into stages at each distinct L; a stage's lists are uploaded once, and only when a
/// sequence of that L pruned (otherwise the stage reuses the previous one's tensors).
/// </summary>
public sealed class DyCokeKvLists : IDecodeKvLists, IDisposable
{
    private readonly IBackend _backend;
    private readonly DyCokeSequence[] _sequences;
    private readonly int[] _firstPrunedLayers; // [G] the distinct L of the DP sequences, ascending
    private readonly Stage?[] _stages; // [G + 1] stage k serves layers [L_(k−1), L_k); set once its scores arrived
    private readonly List<Tensor> _uploaded = []; // every tensor this instance uploaded, each once
    private readonly DyCokeStep?[] _steps; // [B]
    private int _scored; // groups whose scores arrived, in L order
    private Pending? _pending; // the decisions of the last group whose scores arrived, until they are waited for

    // One stage's lists: host views (list b, CSR offsets [B + 1]) and the uploaded pair (I32 [B + 1], I32 [nnz]).
    private sealed record Stage(ReadOnlyMemory<int>[] Lists, int[] Offsets, Tensor Indptr, Tensor Indices);

    // A group's decisions running on host threads: the stage they replace lists of, the lists being replaced (each
    // pruned sequence's entry), the copy of the scores they read (pooled on the CPU), the work to wait for, and the
    // pruned lists in CSR form, which the decision that finishes last concatenates (null when nobody pruned).
    private sealed class Pending(int group, Stage current, ReadOnlyMemory<int>[] next, List<int> members, float[] scores, bool pooled)
    {
        public int Group { get; } = group;
        public Stage Current { get; } = current;
        public ReadOnlyMemory<int>[] Next { get; } = next;
        public List<int> Members { get; } = members;
        public float[] Scores { get; } = scores;
        public bool Pooled { get; } = pooled;
        public IHostWork? Work;
        public int Undecided = members.Count;
        public HostLists? Pruned;
    }

    // Lists concatenated on the host: CSR offsets [B + 1] and a CPU tensor of the indices [nnz].
    private sealed record HostLists(int[] Offsets, Tensor Indices);

    private DyCokeKvLists(IBackend backend, DyCokeSequence[] sequences, int[] firstPrunedLayers)
    {
        _backend = backend;
        _sequences = sequences;
        _firstPrunedLayers = firstPrunedLayers;
        _stages = new Stage?[firstPrunedLayers.Length + 1];
        _steps = new DyCokeStep?[sequences.Length];
    }

    /// <summary>Each sequence's DP decision for this step (null for sequences without DP, or whose L − 1 has not run),
    /// set by <see cref="OnScores"/>; reading it waits for decisions still running.</summary>
    public IReadOnlyList<DyCokeStep?> Steps
    {
        get
        {
            Complete();
            return _steps;
        }
    }

    /// <summary>Uploads the full lists of one decode step.</summary>
    /// <exception cref="ArgumentException">No sequences, an empty slot list, or a DP sequence whose span does not end
    /// before its new token.</exception>
    public static DyCokeKvLists Create(IBackend backend, IReadOnlyList<DyCokeSequence> sequences)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("no sequences", nameof(sequences));
        var layers = new List<int>(1); // the distinct L, usually one
        var full = new ReadOnlyMemory<int>[sequences.Count]; // [B][len_b]
        for (int b = 0; b < sequences.Count; b++)
        {
            var (slots, pruning) = sequences[b];
            if (slots.IsEmpty)
                throw new ArgumentException($"sequence {b} has no slots; it must at least attend to its new token", nameof(sequences));
            if (pruning is not null)
            {
                if (pruning.SpanStart + pruning.SpanLength >= slots.Length)
                    throw new ArgumentException($"sequence {b}: the visual span [{pruning.SpanStart}, {pruning.SpanStart + pruning.SpanLength}) does not end before the new token at {slots.Length - 1}", nameof(sequences));
                if (!layers.Contains(pruning.FirstPrunedLayer)) layers.Add(pruning.FirstPrunedLayer);
            }
            full[b] = slots;
        }
        layers.Sort();
        var lists = new DyCokeKvLists(backend, sequences.ToArray(), [.. layers]);
        try
        {
            lists._stages[0] = lists.Upload(full, Concatenate(full));
            return lists;
        }
        catch
        {
            lists.Dispose();
            throw;
        }
    }

    /// <summary>True for L − 1 of every distinct L among the DP sequences.</summary>
    public bool WantsScores(int layerIndex) => Array.BinarySearch(_firstPrunedLayers, layerIndex + 1) >= 0;

    /// <summary>The lists of layer <paramref name="layerIndex"/>; from a sequence's L on, this waits for the decisions
    /// that <see cref="OnScores"/> started if they are still running.</summary>
    /// <exception cref="InvalidOperationException">A layer ≥ some sequence's L is asked for before that sequence's
    /// scores (layer L − 1) arrived.</exception>
    public (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex)
    {
        int stage = 0;
        while (stage < _firstPrunedLayers.Length && _firstPrunedLayers[stage] <= layerIndex) stage++;
        if (stage > _scored)
            throw new InvalidOperationException($"layer {layerIndex} needs the pruned lists, but layer {_firstPrunedLayers[_scored] - 1}'s scores have not arrived");
        if (_stages[stage] is null) Complete();
        var s = _stages[stage]!;
        return (s.Indptr, s.Indices);
    }

    /// <summary>
    /// Takes layer <paramref name="layerIndex"/>'s scores (copied, so meanProbs may be reused as soon as this returns)
    /// and starts the decisions of every DP sequence with L = layerIndex + 1 on a host thread of the backend: each
    /// sequence's gate cosine, a top-k when its attention moved, its attended list. They run while the model computes
    /// the rest of layer L − 1 and layer L's projections, none of which depends on them; <see cref="ListsFor"/> layer
    /// L waits for them and uploads the pruned lists when one of them pruned.
    /// </summary>
    /// <exception cref="ArgumentException">No sequence scores at this layer, or meanProbs does not have one entry per
    /// slot listed for it.</exception>
    /// <exception cref="InvalidOperationException">This layer's scores already arrived, or an earlier score layer's
    /// have not.</exception>
    public void OnScores(int layerIndex, Tensor meanProbs)
    {
        ArgumentNullException.ThrowIfNull(meanProbs);
        int group = Array.BinarySearch(_firstPrunedLayers, layerIndex + 1);
        if (group < 0) throw new ArgumentException($"no sequence scores at layer {layerIndex}", nameof(layerIndex));
        if (group != _scored)
            throw new InvalidOperationException(group < _scored
                ? $"layer {layerIndex}'s scores already arrived"
                : $"layer {layerIndex}'s scores arrived before layer {_firstPrunedLayers[_scored] - 1}'s");
        Complete(); // an earlier group's decisions give this group's current lists
        var current = _stages[group]!;
        int nnz = current.Offsets[^1];
        if (meanProbs.NumElements != nnz)
            throw new ArgumentException($"meanProbs is {meanProbs}, expected [{nnz}] (one per slot listed for layer {layerIndex})", nameof(meanProbs));
        // The decisions outlive this call, the model's score buffer does not: on the CPU one copy into a pooled array
        // (~30 KB at 16 streams of 4 frames), from a device the read-back that was needed anyway.
        bool pooled = meanProbs.Device == DeviceKind.Cpu;
        float[] scores; // [nnz]
        if (pooled)
        {
            scores = ArrayPool<float>.Shared.Rent(nnz);
            meanProbs.Span<float>().CopyTo(scores);
        }
        else scores = _backend.ReadFloats(meanProbs);
        int firstPruned = _firstPrunedLayers[group];
        var members = new List<int>(_sequences.Length); // the sequences of this group, in batch order
        for (int b = 0; b < _sequences.Length; b++)
            if (_sequences[b].Pruning?.FirstPrunedLayer == firstPruned) members.Add(b);
        var next = (ReadOnlyMemory<int>[])current.Lists.Clone(); // [B][len_b'] each pruned sequence's list replaced
        var pending = new Pending(group, current, next, members, scores, pooled);
        try
        {
            pending.Work = _backend.StartHost(members.Count, i =>
            {
                Decide(members[i], current.Offsets, scores, next);
                // The last decision concatenates the lists where they were just written (on the worker, mostly), so
                // the model's thread does not pull every pruned list across cores to copy it.
                if (Interlocked.Decrement(ref pending.Undecided) == 0) pending.Pruned = ConcatenatePruned(pending);
            });
        }
        catch
        {
            if (pooled) ArrayPool<float>.Shared.Return(scores);
            throw;
        }
        _pending = pending;
        _scored++;
    }

    // The pruned stage's lists in CSR form, or null when no member pruned (the stage then keeps the current lists).
    private HostLists? ConcatenatePruned(Pending p)
    {
        foreach (int b in p.Members)
            if (_steps[b]!.Pruned) return Concatenate(p.Next);
        return null;
    }

    // Sequence b decides on its own state from its own scores (layers < L_b list b's slots in logical order, so entry
    // j of its list is position j) and, when it prunes, replaces its list in next. Runs on a host thread; sequences
    // share nothing, so the worker and, once it waits, the model's thread can take different ones.
    private void Decide(int b, int[] offsets, float[] scores, ReadOnlyMemory<int>[] next)
    {
        var (slots, pruning) = _sequences[b];
        var step = pruning!.Decide(scores.AsSpan(offsets[b] + pruning.SpanStart, pruning.SpanLength)); // [len]
        _steps[b] = step;
        if (step.Pruned) next[b] = pruning.AttendedSlots(step, slots.Span);
    }

    // Waits for the running decisions, then sets the stage they decide: the pruned lists, handed to the backend here
    // on the model's thread (a device upload belongs there), or the current stage when no sequence pruned.
    private void Complete()
    {
        if (_pending is not { } p) return;
        Wait(p);
        var pruned = p.Pruned;
        p.Pruned = null;
        _stages[p.Group + 1] = pruned is null ? p.Current : Upload(p.Next, pruned);
    }

    public void Dispose()
    {
        // Decisions still running read the sequences' DP state and write this instance's: they end before it does.
        // An error they ended with is rethrown by ListsFor(L) in a step that gets that far; a step disposed before
        // that has failed already, and nothing reads these decisions any more.
        if (_pending is { } p)
        {
            try
            {
                Wait(p);
            }
            catch (Exception)
            {
                // See above: nobody is left to use them.
            }
            p.Pruned?.Indices.Dispose(); // concatenated but never handed to the backend
        }
        foreach (var t in _uploaded) t.Dispose();
        _uploaded.Clear();
    }

    // Waits for the pending decisions (rethrowing their error) and gives their score copy back.
    private void Wait(Pending p)
    {
        _pending = null;
        try
        {
            p.Work!.Wait();
        }
        finally
        {
            if (p.Pooled) ArrayPool<float>.Shared.Return(p.Scores);
        }
    }

    // Concatenates the lists into CSR form; the indices are written straight into a host tensor, which on the CPU is
    // the tensor the op reads. Thread-safe (it touches nothing of this instance).
    private static HostLists Concatenate(ReadOnlyMemory<int>[] lists)
    {
        var offsets = new int[lists.Length + 1]; // [B + 1]
        for (int b = 0; b < lists.Length; b++) offsets[b + 1] = checked(offsets[b] + lists[b].Length);
        var host = Tensor.CpuUninitialized(DType.I32, new Shape(offsets[^1])); // [nnz], every entry written below
        var indices = host.Span<int>();
        for (int b = 0; b < lists.Length; b++) lists[b].Span.CopyTo(indices[offsets[b]..]);
        return new HostLists(offsets, host);
    }

    // Hands concatenated lists to the backend (taking over the host tensor); the tensors are disposed with this instance.
    private Stage Upload(ReadOnlyMemory<int>[] lists, HostLists host)
    {
        Tensor indptrTensor;
        try
        {
            indptrTensor = _backend.UploadInts(host.Offsets); // [B + 1]
        }
        catch
        {
            host.Indices.Dispose();
            throw;
        }
        _uploaded.Add(indptrTensor);
        var indicesTensor = _backend.MoveToBackend(host.Indices); // [nnz]
        _uploaded.Add(indicesTensor);
        return new Stage(lists, host.Offsets, indptrTensor, indicesTensor);
    }
}
