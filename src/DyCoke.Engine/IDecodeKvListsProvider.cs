// The seam between the engine and what each decode step attends to (architecture.md §6): the default builds
// DyCoke's lists, which prune layers ≥ L for sequences with dynamic-pruning state and attend to every cached slot for
// the others (text prompts, DyCoke off).
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>Builds each decode step's slot lists.</summary>
public interface IDecodeKvListsProvider
{
    /// <summary>
    /// The lists for one decode step of <paramref name="batch"/>; sequence b's lists must include the slot of its new
    /// token, position <c>NumTokens − 1</c>. The engine disposes the result after the step.
    /// </summary>
    IDecodeKvLists CreateLists(IBackend backend, IReadOnlyList<Sequence> batch);
}

/// <summary>DyCoke's decode lists over every sequence's slots 0..NumTokens − 1 and its <see cref="Sequence.Pruning"/>.</summary>
public sealed class DyCokeKvListsProvider : IDecodeKvListsProvider
{
    public static DyCokeKvListsProvider Instance { get; } = new();

    /// <exception cref="ArgumentException">A sequence's slots do not fit its DP span (see <see cref="DyCokeKvLists.Create"/>).</exception>
    public IDecodeKvLists CreateLists(IBackend backend, IReadOnlyList<Sequence> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var sequences = new DyCokeSequence[batch.Count];
        for (int b = 0; b < batch.Count; b++) sequences[b] = new DyCokeSequence(batch[b].SlotView(batch[b].NumTokens), batch[b].Pruning);
        return DyCokeKvLists.Create(backend, sequences);
    }
}
