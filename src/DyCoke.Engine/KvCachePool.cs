// Bookkeeping of the KV slot pools (architecture.md §5): slots are handed out in blocks from a free list; a sequence
// owns a list of blocks and addresses single slots inside them. Tensors live in KvCache; this class owns only ids.
namespace DyCoke.Engine;

/// <summary>A free list of KV blocks of <see cref="BlockSize"/> slots each (nano-vllm's BlockManager, no prefix sharing).</summary>
public sealed class KvCachePool
{
    private readonly Stack<int> _free;

    /// <summary>Creates a pool of <paramref name="numBlocks"/> blocks of <paramref name="blockSize"/> slots.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive.</exception>
    public KvCachePool(int numBlocks, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numBlocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        NumBlocks = numBlocks;
        BlockSize = blockSize;
        // Low ids are handed out first, so a lightly loaded pool touches the start of the cache tensors.
        _free = new Stack<int>(Enumerable.Range(0, numBlocks).Reverse());
    }

    public int NumBlocks { get; }

    public int BlockSize { get; }

    /// <summary>Slots in all blocks.</summary>
    public int NumSlots => NumBlocks * BlockSize;

    public int NumFreeBlocks => _free.Count;

    public int NumUsedBlocks => NumBlocks - _free.Count;

    /// <summary>Fraction of blocks in use, 0..1.</summary>
    public double Usage => (double)NumUsedBlocks / NumBlocks;

    /// <summary>Blocks needed to hold <paramref name="numTokens"/> tokens.</summary>
    public int BlocksFor(int numTokens) => (numTokens + BlockSize - 1) / BlockSize;

    /// <summary>Whether <paramref name="sequence"/> can grow to hold <paramref name="numTokens"/> tokens.</summary>
    public bool CanAllocate(Sequence sequence, int numTokens) =>
        BlocksFor(numTokens) - sequence.NumBlocks <= _free.Count;

    /// <summary>Whether a new sequence of <paramref name="numTokens"/> tokens would fit in an empty pool.</summary>
    public bool Fits(int numTokens) => BlocksFor(numTokens) <= NumBlocks;

    /// <summary>Grows <paramref name="sequence"/>'s block list to hold <paramref name="numTokens"/> tokens.</summary>
    /// <exception cref="InvalidOperationException">Not enough free blocks (call <see cref="CanAllocate"/> first).</exception>
    public void Allocate(Sequence sequence, int numTokens)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (!CanAllocate(sequence, numTokens))
            throw new InvalidOperationException($"sequence {sequence.Id} needs {BlocksFor(numTokens) - sequence.NumBlocks} more blocks but {_free.Count} are free");
        while (sequence.NumBlocks < BlocksFor(numTokens)) sequence.AddBlock(_free.Pop());
    }

    /// <summary>Returns the blocks of <paramref name="sequence"/> past those needed for <paramref name="numTokens"/>
    /// tokens (a reservation made for a prompt that TTM later shortened). Returns how many blocks were freed.</summary>
    public int Shrink(Sequence sequence, int numTokens)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(numTokens);
        int keep = BlocksFor(numTokens), freed = 0;
        while (sequence.NumBlocks > keep)
        {
            _free.Push(sequence.RemoveLastBlock());
            freed++;
        }
        return freed;
    }

    /// <summary>Returns every block of <paramref name="sequence"/> to the free list.</summary>
    public void Free(Sequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        // Reverse order keeps the free list's top at the lowest ids, so reuse stays compact.
        for (int i = sequence.NumBlocks - 1; i >= 0; i--) _free.Push(sequence.Blocks[i]);
        sequence.ClearBlocks();
    }
}
