// One prefill step's index tensors (nano-vllm's prepare_prefill output): several sequences' tokens concatenated, where
// each token sits (positions), where its K/V go (slots), and where each sequence's rows start and end (cuSeqLens).
// A chunked batch also carries each sequence's context slot list, so a chunk attends to the prefix already cached.
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>
/// The index side of a variable-length prefill batch of B sequences, T tokens in all, on the backend. Made by
/// <see cref="Create"/>, each sequence is a whole prompt and attention runs over the batch's fresh tokens only; made by
/// <see cref="CreateChunked"/>, each sequence is a chunk that attends over its cached context (prefix + chunk).
/// </summary>
public sealed class PrefillBatch : IDisposable
{
    private PrefillBatch(int[] sequenceLengths, Tensor cuSeqLens, Tensor positions, Tensor slotMapping, Tensor lastTokenRows, Tensor? kvIndptr, Tensor? kvIndices)
    {
        SequenceLengths = sequenceLengths;
        CuSeqLens = cuSeqLens;
        Positions = positions;
        SlotMapping = slotMapping;
        LastTokenRows = lastTokenRows;
        KvIndptr = kvIndptr;
        KvIndices = kvIndices;
    }

    /// <summary>Tokens of each sequence in this batch (the whole prompt, or the chunk).</summary>
    public IReadOnlyList<int> SequenceLengths { get; }

    public int NumSequences => SequenceLengths.Count;

    public int NumTokens => (int)Positions.Shape[0];

    /// <summary>I32 [B + 1]: sequence b owns token rows [CuSeqLens[b], CuSeqLens[b + 1]).</summary>
    public Tensor CuSeqLens { get; }

    /// <summary>I32 [T]: absolute position of each token (its RoPE angle).</summary>
    public Tensor Positions { get; }

    /// <summary>I32 [T]: KV-cache slot of each token.</summary>
    public Tensor SlotMapping { get; }

    /// <summary>I32 [B]: the row of each sequence's last token, whose logits prefill returns.</summary>
    public Tensor LastTokenRows { get; }

    /// <summary>Chunked: I32 [B + 1] boundaries of the context lists in <see cref="KvIndices"/>; null for whole prompts.</summary>
    public Tensor? KvIndptr { get; }

    /// <summary>Chunked: I32 [Σ ctx] the slots of positions 0 .. ctx_b − 1 of each sequence; null for whole prompts.</summary>
    public Tensor? KvIndices { get; }

    /// <summary>Whether the batch attends over cached context lists (<see cref="CreateChunked"/>).</summary>
    public bool IsChunked => KvIndptr is not null;

    /// <summary>Uploads a batch of whole prompts: sequence b has <paramref name="sequenceLengths"/>[b] consecutive tokens.</summary>
    /// <exception cref="ArgumentException">No sequences, a length below 1, lengths not summing to the token count,
    /// or a negative position.</exception>
    public static PrefillBatch Create(IBackend backend, IReadOnlyList<int> sequenceLengths, ReadOnlySpan<int> positions, ReadOnlySpan<int> slotMapping)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var (offsets, lastRows) = Offsets(sequenceLengths, positions, slotMapping);
        return Upload(backend, sequenceLengths, offsets, positions, slotMapping, lastRows, null);
    }

    /// <summary>
    /// Uploads a batch of chunks: sequence b has <paramref name="chunkLengths"/>[b] tokens at positions
    /// ctx_b − n_b .. ctx_b − 1, where ctx_b = <paramref name="contextSlots"/>[b].Length and contextSlots[b][p] is the
    /// slot of position p; the chunk's own slots (its tail) are where its K/V are stored.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths are invalid as for <see cref="Create"/>, the context lists do not
    /// match the sequences in number, a context is shorter than its chunk, or a chunk's positions or slots are not
    /// the tail of its context.</exception>
    public static PrefillBatch CreateChunked(IBackend backend, IReadOnlyList<int> chunkLengths, ReadOnlySpan<int> positions, ReadOnlySpan<int> slotMapping,
        IReadOnlyList<int[]> contextSlots)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(contextSlots);
        var (offsets, lastRows) = Offsets(chunkLengths, positions, slotMapping);
        if (contextSlots.Count != chunkLengths.Count)
            throw new ArgumentException($"{chunkLengths.Count} chunks need as many context lists, got {contextSlots.Count}", nameof(contextSlots));
        var indptr = new int[chunkLengths.Count + 1]; // [B + 1]
        for (int b = 0; b < chunkLengths.Count; b++)
        {
            int[] context = contextSlots[b] ?? throw new ArgumentException($"sequence {b} has no context list", nameof(contextSlots));
            int n = chunkLengths[b], prefix = context.Length - n;
            if (prefix < 0)
                throw new ArgumentException($"sequence {b}: its context has {context.Length} slots but its chunk {n} tokens", nameof(contextSlots));
            for (int i = 0; i < n; i++)
            {
                int row = offsets[b] + i;
                if (positions[row] != prefix + i || slotMapping[row] != context[prefix + i])
                    throw new ArgumentException(
                        $"sequence {b}: token {i} is at position {positions[row]} in slot {slotMapping[row]}, expected position {prefix + i} in slot {context[prefix + i]} (the context's tail)",
                        nameof(contextSlots));
            }
            indptr[b + 1] = checked(indptr[b] + context.Length);
        }
        var indices = new int[indptr[^1]]; // [Σ ctx]
        for (int b = 0; b < contextSlots.Count; b++) contextSlots[b].CopyTo(indices, indptr[b]);
        return Upload(backend, chunkLengths, offsets, positions, slotMapping, lastRows, (indptr, indices));
    }

    private static (int[] Offsets, int[] LastRows) Offsets(IReadOnlyList<int> sequenceLengths, ReadOnlySpan<int> positions, ReadOnlySpan<int> slotMapping)
    {
        ArgumentNullException.ThrowIfNull(sequenceLengths);
        if (sequenceLengths.Count == 0) throw new ArgumentException("a prefill batch needs at least one sequence", nameof(sequenceLengths));
        var offsets = new int[sequenceLengths.Count + 1]; // [B + 1]
        var lastRows = new int[sequenceLengths.Count]; // [B]
        for (int i = 0; i < sequenceLengths.Count; i++)
        {
            if (sequenceLengths[i] < 1)
                throw new ArgumentException($"sequence {i} has length {sequenceLengths[i]}; every sequence needs at least one token", nameof(sequenceLengths));
            offsets[i + 1] = checked(offsets[i] + sequenceLengths[i]);
            lastRows[i] = offsets[i + 1] - 1;
        }
        if (positions.Length != offsets[^1] || slotMapping.Length != offsets[^1])
            throw new ArgumentException($"the sequence lengths sum to {offsets[^1]} tokens but there are {positions.Length} positions and {slotMapping.Length} slots", nameof(positions));
        foreach (int p in positions)
            if (p < 0) throw new ArgumentException($"position {p} is negative", nameof(positions));
        return (offsets, lastRows);
    }

    private static PrefillBatch Upload(IBackend backend, IReadOnlyList<int> lengths, int[] offsets, ReadOnlySpan<int> positions, ReadOnlySpan<int> slotMapping,
        int[] lastRows, (int[] Indptr, int[] Indices)? context)
    {
        var tensors = new List<Tensor>(6);
        try
        {
            tensors.Add(backend.UploadInts(offsets));
            tensors.Add(backend.UploadInts(positions));
            tensors.Add(backend.UploadInts(slotMapping));
            tensors.Add(backend.UploadInts(lastRows));
            if (context is var (indptr, indices))
            {
                tensors.Add(backend.UploadInts(indptr));
                tensors.Add(backend.UploadInts(indices));
            }
        }
        catch
        {
            foreach (var t in tensors) t.Dispose();
            throw;
        }
        return new PrefillBatch(lengths.ToArray(), tensors[0], tensors[1], tensors[2], tensors[3],
            context is null ? null : tensors[4], context is null ? null : tensors[5]);
    }

    public void Dispose()
    {
        CuSeqLens.Dispose();
        Positions.Dispose();
        SlotMapping.Dispose();
        LastTokenRows.Dispose();
        KvIndptr?.Dispose();
        KvIndices?.Dispose();
    }
}
