// One decode step's token-side inputs (nano-vllm's prepare_decode): one new token per sequence, its position and the
// slot its K/V are written to. What each sequence attends to comes separately, per layer, from IDecodeKvLists.
using DyCoke.Tensors;

namespace DyCoke.Model.Qwen2;

/// <summary>B new tokens, one per sequence, on the backend.</summary>
public sealed class DecodeBatch : IDisposable
{
    private DecodeBatch(Tensor tokenIds, Tensor positions, Tensor slotMapping)
    {
        TokenIds = tokenIds;
        Positions = positions;
        SlotMapping = slotMapping;
    }

    public int NumSequences => (int)TokenIds.Shape[0];

    /// <summary>I32 [B]: the token each sequence feeds in.</summary>
    public Tensor TokenIds { get; }

    /// <summary>I32 [B]: its absolute position.</summary>
    public Tensor Positions { get; }

    /// <summary>I32 [B]: the slot its K/V are stored in (the slot lists must include it to attend to itself).</summary>
    public Tensor SlotMapping { get; }

    /// <summary>Uploads a batch of <c>tokenIds.Length</c> sequences.</summary>
    /// <exception cref="ArgumentException">The spans differ in length, are empty, or a position is negative.</exception>
    public static DecodeBatch Create(IBackend backend, ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> positions, ReadOnlySpan<int> slotMapping)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (tokenIds.Length == 0) throw new ArgumentException("a decode batch needs at least one sequence", nameof(tokenIds));
        if (positions.Length != tokenIds.Length || slotMapping.Length != tokenIds.Length)
            throw new ArgumentException($"{tokenIds.Length} tokens need as many positions and slots, got {positions.Length} and {slotMapping.Length}", nameof(positions));
        foreach (int p in positions)
            if (p < 0) throw new ArgumentException($"position {p} is negative", nameof(positions));
        Tensor? ids = null, pos = null; // [B] each
        try
        {
            ids = backend.UploadInts(tokenIds);
            pos = backend.UploadInts(positions);
            return new DecodeBatch(ids, pos, backend.UploadInts(slotMapping));
        }
        catch
        {
            ids?.Dispose();
            pos?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        TokenIds.Dispose();
        Positions.Dispose();
        SlotMapping.Dispose();
    }
}
