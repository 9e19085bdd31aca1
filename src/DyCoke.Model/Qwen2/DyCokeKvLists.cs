// Decode slot lists with DyCoke's dynamic pruning (dycoke-algorithm.md §4, §7), each sequence with its own L: layers
// < L_b attend to every slot of sequence b, layer L_b − 1 hands its mean attention back, b decides its step, and layers
// ≥ L_b attend to prefix ∪ kept visual ∪ suffix. Sequences without DP state (or unpruned this step) keep their full lists.
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
    // Visual tokens over a group's sequences from which their decisions go to the host threads: 16 streams at 4 frames
    // (6 K tokens; ~1 µs of work per stream when the kept set is reused) ran 25 % slower handed off than on one thread;
    // at 32 frames (50 K) two threads took 1.2–1.4× less time, and 1.6–1.9× when every stream reselects (`decisions`
    // verb, docs/benchmarks.md).
    private const long ParallelDecisionTokens = 16_384;

    // One stage's lists: host views (list b, CSR offsets [B + 1]) and the uploaded pair (I32 [B + 1], I32 [nnz]).
    private sealed record Stage(ReadOnlyMemory<int>[] Lists, int[] Offsets, Tensor Indptr, Tensor Indices);

    private DyCokeKvLists(IBackend backend, DyCokeSequence[] sequences, int[] firstPrunedLayers)
    {
        _backend = backend;
        _sequences = sequences;
        _firstPrunedLayers = firstPrunedLayers;
        _stages = new Stage?[firstPrunedLayers.Length + 1];
        _steps = new DyCokeStep?[sequences.Length];
    }

    /// <summary>Each sequence's DP decision for this step (null for sequences without DP, or whose L − 1 has not run),
    /// set by <see cref="OnScores"/>.</summary>
    public IReadOnlyList<DyCokeStep?> Steps => _steps;

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
            lists._stages[0] = lists.Upload(full);
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

    /// <exception cref="InvalidOperationException">A layer ≥ some sequence's L is asked for before that sequence's
    /// scores (layer L − 1) arrived.</exception>
    public (Tensor Indptr, Tensor Indices) ListsFor(int layerIndex)
    {
        int stage = 0;
        while (stage < _firstPrunedLayers.Length && _firstPrunedLayers[stage] <= layerIndex) stage++;
        if (stage > _scored)
            throw new InvalidOperationException($"layer {layerIndex} needs the pruned lists, but layer {_firstPrunedLayers[_scored] - 1}'s scores have not arrived");
        var s = _stages[stage]!;
        return (s.Indptr, s.Indices);
    }

    /// <summary>
    /// Reads layer <paramref name="layerIndex"/>'s scores back, lets every DP sequence with L = layerIndex + 1 decide,
    /// and uploads the lists for the layers from there on when one of them pruned.
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
        var current = _stages[group]!;
        if (meanProbs.NumElements != current.Offsets[^1])
            throw new ArgumentException($"meanProbs is {meanProbs}, expected [{current.Offsets[^1]}] (one per slot listed for layer {layerIndex})", nameof(meanProbs));
        // On the CPU the scores are read where the op wrote them; a device copies them back once.
        float[]? copied = meanProbs.Device == DeviceKind.Cpu ? null : _backend.ReadFloats(meanProbs); // [nnz]
        int firstPruned = _firstPrunedLayers[group];
        int deciding = 0; // [deciding] the sequences of this group, in batch order
        long spans = 0; // their visual tokens, the measure of the decisions' work
        var members = new int[_sequences.Length]; // [deciding] used
        for (int b = 0; b < _sequences.Length; b++)
        {
            if (_sequences[b].Pruning is not { } pruning || pruning.FirstPrunedLayer != firstPruned) continue;
            members[deciding++] = b;
            spans += pruning.SpanLength;
        }
        // Each sequence decides on its own state and reads only its own scores, so the decisions (the gate's cosine, a
        // top-k when it reselects, the attended list) can run on the backend's host threads, one item per sequence.
        var offsets = current.Offsets;
        var next = (ReadOnlyMemory<int>[])current.Lists.Clone(); // [B][len_b'] each pruned sequence's list replaced
        Action<int> decide = i =>
        {
            int b = members[i];
            var (slots, pruning) = _sequences[b];
            ReadOnlySpan<float> probs = copied ?? meanProbs.Span<float>(); // [nnz]
            // Layers < L_b give b its full list, in logical order, so list entry j is position j.
            var step = pruning!.Decide(probs.Slice(offsets[b] + pruning.SpanStart, pruning.SpanLength)); // [len]
            _steps[b] = step;
            if (step.Pruned) next[b] = pruning.AttendedSlots(step, slots.Span);
        };
        if (spans >= ParallelDecisionTokens) _backend.ParallelHost(deciding, decide);
        else for (int i = 0; i < deciding; i++) decide(i);
        bool anyPruned = false;
        for (int i = 0; i < deciding && !anyPruned; i++) anyPruned = _steps[members[i]]!.Pruned;
        _stages[group + 1] = anyPruned ? Upload(next) : current;
        _scored++;
    }

    public void Dispose()
    {
        foreach (var t in _uploaded) t.Dispose();
        _uploaded.Clear();
    }

    // Concatenates the lists into CSR form and uploads them; the tensors are disposed with this instance. The indices
    // are written straight into a host tensor, which on the CPU is the tensor the op reads.
    private Stage Upload(ReadOnlyMemory<int>[] lists)
    {
        var offsets = new int[lists.Length + 1]; // [B + 1]
        for (int b = 0; b < lists.Length; b++) offsets[b + 1] = checked(offsets[b] + lists[b].Length);
        var indptrTensor = _backend.UploadInts(offsets); // [B + 1]
        _uploaded.Add(indptrTensor);
        var host = Tensor.CpuUninitialized(DType.I32, new Shape(offsets[^1])); // [nnz], every entry written below
        var indices = host.Span<int>();
        for (int b = 0; b < lists.Length; b++) lists[b].Span.CopyTo(indices[offsets[b]..]);
        var indicesTensor = _backend.MoveToBackend(host); // [nnz]
        _uploaded.Add(indicesTensor);
        return new Stage(lists, offsets, indptrTensor, indicesTensor);
    }
}
