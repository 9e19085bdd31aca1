// One prefill step's index tensors (nano-vllm's prepare_prefill output): several whole prompts concatenated, where
// each token sits (positions), where its K/V go (slots), and where each prompt starts and ends (cuSeqLens).
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>
/// The index side of a variable-length prefill batch of B sequences, T tokens in all, on the backend. Each sequence is
/// a whole prompt: prefill attends only over the batch's fresh tokens, never over earlier cache contents.
/// </summary>
public sealed class PrefillBatch : IDisposable
{
    private PrefillBatch(int[] sequenceLengths, Tensor cuSeqLens, Tensor positions, Tensor slotMapping, Tensor lastTokenRows)
    {
        SequenceLengths = sequenceLengths;
        CuSeqLens = cuSeqLens;
        Positions = positions;
        SlotMapping = slotMapping;
        LastTokenRows = lastTokenRows;
    }

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

    /// <summary>Uploads a batch: sequence b has <paramref name="sequenceLengths"/>[b] consecutive tokens.</summary>
    /// <exception cref="ArgumentException">No sequences, a length below 1, lengths not summing to the token count,
    /// or a negative position.</exception>
    public static PrefillBatch Create(IBackend backend, IReadOnlyList<int> sequenceLengths, ReadOnlySpan<int> positions, ReadOnlySpan<int> slotMapping)
    {
        ArgumentNullException.ThrowIfNull(backend);
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

        var tensors = new List<Tensor>(4);
        try
        {
            tensors.Add(backend.UploadInts(offsets));
            tensors.Add(backend.UploadInts(positions));
            tensors.Add(backend.UploadInts(slotMapping));
            tensors.Add(backend.UploadInts(lastRows));
        }
        catch
        {
            foreach (var t in tensors) t.Dispose();
            throw;
        }
        return new PrefillBatch(sequenceLengths.ToArray(), tensors[0], tensors[1], tensors[2], tensors[3]);
    }

    public void Dispose()
    {
        CuSeqLens.Dispose();
        Positions.Dispose();
        SlotMapping.Dispose();
        LastTokenRows.Dispose();
    }
}
