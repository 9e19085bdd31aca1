// One generation stream, the engine's unit of state (nano-vllm's Sequence): status, tokens, the KV blocks it owns, how
// far its chunked prefill has got, its sampling settings and random generator, compression state and event channel.
using System.Threading.Channels;
using DyCoke.Compression;

namespace DyCoke.Engine;

/// <summary>Where a sequence is in its life.</summary>
public enum SequenceStatus
{
    Waiting,
    Running,
    Finished,
}

/// <summary>One request's generation: prompt + generated tokens and the KV blocks holding them.</summary>
public sealed class Sequence
{
    private readonly List<int> _outputIds = [];
    private readonly List<int> _blocks = [];
    private int[] _slots = []; // [≥ NumBlocks·BlockSize] the slot of every position the blocks cover, kept as blocks come and go
    private readonly Dictionary<int, int> _outputCounts = [];
    private int[] _promptIds;
    private int _numPrefilled;

    internal Sequence(long id, EngineRequest request, int blockSize, ChannelWriter<TokenEvent>? events = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        if (request.PromptIds is not { Length: > 0 }) throw new ArgumentException("the prompt is empty", nameof(request));
        Id = id;
        Request = request;
        _promptIds = request.PromptIds;
        BlockSize = blockSize;
        Events = events;
        CancellationToken = cancellationToken;
        NumFrames = request.Videos.Sum(v => checked((int)v.Shape[0]));
        Random = new Random(request.Sampling.Seed is long seed ? unchecked((int)(seed ^ (seed >> 32))) : System.Random.Shared.Next());
    }

    /// <summary>Arrival order: a larger id is a newer sequence (the one preempted first).</summary>
    public long Id { get; }

    public EngineRequest Request { get; }

    public SamplingParams Sampling => Request.Sampling;

    public SequenceStatus Status { get; internal set; } = SequenceStatus.Waiting;

    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; }

    /// <summary>The prompt the model runs on: the request's ids, with each video's placeholder run shortened by TTM
    /// once the first prefill has merged its tokens.</summary>
    public IReadOnlyList<int> PromptIds => _promptIds;

    public int NumPromptTokens => _promptIds.Length;

    /// <summary>Prompt rows holding video features (newlines included), after TTM when DyCoke ran.</summary>
    public int NumVideoTokens { get; internal set; }

    public IReadOnlyList<int> OutputIds => _outputIds;

    /// <summary>Prompt + generated tokens.</summary>
    public int NumTokens => NumPromptTokens + _outputIds.Count;

    /// <summary>The most recent token: the one the next decode step feeds in.</summary>
    public int LastTokenId => _outputIds.Count > 0 ? _outputIds[^1] : _promptIds[^1];

    /// <summary>The KV blocks this sequence owns, in position order.</summary>
    public IReadOnlyList<int> Blocks => _blocks;

    public int NumBlocks => _blocks.Count;

    /// <summary>
    /// Whether the prefill has run to the end (its last chunk gave the first token after admission); from then on the
    /// sequence decodes one token per step. Cleared by a preemption: the recompute prefills everything again.
    /// </summary>
    public bool IsPrefilled { get; private set; }

    /// <summary>Tokens whose K/V are in the cache: prefill progress while prefilling, NumTokens − 1 once decoding (the
    /// newest token is fed by the next decode step).</summary>
    public int NumCachedTokens => IsPrefilled ? NumTokens - 1 : _numPrefilled;

    /// <summary>Tokens still to prefill (an upper bound before TTM has shortened the prompt); 0 once prefilled.</summary>
    public int NumTokensToPrefill => IsPrefilled ? 0 : NumTokens - _numPrefilled;

    /// <summary>Video frames still to encode before the prompt embeddings exist (0 without videos or once prefilled).</summary>
    public int NumFramesToEncode => IsPrefilled || Prefill?.Embeds is not null ? 0 : NumFrames - (Prefill?.FramesEncoded ?? 0);

    /// <summary>Frames of all the request's videos.</summary>
    public int NumFrames { get; }

    /// <summary>Times this sequence was preempted and recomputed.</summary>
    public int NumPreemptions { get; internal set; }

    /// <summary>DyCoke's dynamic-pruning state for this sequence's visual span, or null (no DP). Rebuilt by each prefill.</summary>
    public DynamicKvPruning? Pruning { get; internal set; }

    /// <summary>What DyCoke did for this sequence (TTM counts, pruned decode steps), or null when it did not run.</summary>
    public DyCokeStats? DyCokeStats { get; internal set; }

    /// <summary>Generated-token counts, for presence and frequency penalties.</summary>
    public IReadOnlyDictionary<int, int> OutputCounts => _outputCounts;

    internal Random Random { get; }

    /// <summary>Vision buffers and prompt embeddings while a prefill is under way; null before it starts and after.</summary>
    internal PrefillState? Prefill { get; set; }

    internal ChannelWriter<TokenEvent>? Events { get; }

    internal CancellationToken CancellationToken { get; }

    internal CancellationTokenRegistration CancellationRegistration { get; set; }

    /// <summary>The KV slot of the token at <paramref name="position"/> (page size 1 inside a block).</summary>
    public int SlotOf(int position) => SlotView(position + 1).Span[position];

    /// <summary>Slots of positions [0, count): what a decode step lets this sequence attend to (a copy).</summary>
    public int[] SlotsUpTo(int count) => SlotView(count).ToArray();

    /// <summary>
    /// Slots of positions [0, count) without a copy: a view that stays valid (and unchanged) until the sequence's blocks
    /// change, i.e. for the step that asked for it. Every decode step lists every sequence's slots, so the engine reads
    /// this view rather than rebuilding the list.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count is negative or beyond the positions the blocks cover.</exception>
    public ReadOnlyMemory<int> SlotView(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _blocks.Count * BlockSize);
        return _slots.AsMemory(0, count);
    }

    /// <summary>The token at <paramref name="position"/> (prompt first, then output).</summary>
    public int TokenAt(int position) => position < NumPromptTokens ? _promptIds[position] : _outputIds[position - NumPromptTokens];

    /// <summary>Every token, prompt then output: what a (re)prefill feeds in.</summary>
    public int[] AllTokenIds() => [.. _promptIds, .. _outputIds];

    internal void SetPrompt(int[] promptIds) => _promptIds = promptIds;

    internal void AppendToken(int tokenId)
    {
        _outputIds.Add(tokenId);
        _outputCounts[tokenId] = _outputCounts.GetValueOrDefault(tokenId) + 1;
    }

    /// <summary>Records a prefilled chunk of <paramref name="count"/> tokens; the one reaching NumTokens ends the prefill.</summary>
    internal void AdvancePrefill(int count)
    {
        if (IsPrefilled || count < 1 || _numPrefilled + count > NumTokens)
            throw new InvalidOperationException($"sequence {Id}: a chunk of {count} tokens does not fit its prefill at {_numPrefilled} of {NumTokens}");
        _numPrefilled += count;
        if (_numPrefilled < NumTokens) return;
        IsPrefilled = true;
        ReleasePrefill();
    }

    /// <summary>Back to an empty cache (preemption by recompute): the next prefill starts over, videos included.</summary>
    internal void ResetPrefill()
    {
        _numPrefilled = 0;
        IsPrefilled = false;
        ReleasePrefill();
    }

    /// <summary>Frees the prefill's device buffers (on finish, preemption or when the prefill completes).</summary>
    internal void ReleasePrefill()
    {
        Prefill?.Dispose();
        Prefill = null;
    }

    internal void AddBlock(int block)
    {
        int start = _blocks.Count * BlockSize;
        _blocks.Add(block);
        if (_slots.Length < start + BlockSize) Array.Resize(ref _slots, Math.Max(start + BlockSize, 2 * _slots.Length));
        for (int i = 0; i < BlockSize; i++) _slots[start + i] = block * BlockSize + i;
    }

    internal void ClearBlocks() => _blocks.Clear();

    internal int RemoveLastBlock()
    {
        int block = _blocks[^1];
        _blocks.RemoveAt(_blocks.Count - 1);
        return block;
    }
}
