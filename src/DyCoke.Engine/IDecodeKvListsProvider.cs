// The seam where DyCoke's dynamic KV pruning plugs into the engine (architecture.md §6): per-sequence state created
// at submission, and per decode step an IDecodeKvLists over the batch. The default attends to every cached slot.
using DyCoke.Model.Qwen2;
using DyCoke.Tensors;

namespace DyCoke.Engine;

/// <summary>Builds each decode step's slot lists and owns the per-sequence state they need.</summary>
public interface IDecodeKvListsProvider
{
    /// <summary>State kept on the sequence for its whole life (reset on preemption by calling this again); null for none.</summary>
    object? CreateState(Sequence sequence);

    /// <summary>
    /// The lists for one decode step of <paramref name="batch"/>; sequence b's lists must include the slot of its new
    /// token, position <c>NumTokens − 1</c>. The engine disposes the result after the step.
    /// </summary>
    IDecodeKvLists CreateLists(IBackend backend, IReadOnlyList<Sequence> batch);
}

/// <summary>DyCoke off: every layer of every sequence attends to all its cached slots and the new one.</summary>
public sealed class FullKvListsProvider : IDecodeKvListsProvider
{
    public static FullKvListsProvider Instance { get; } = new();

    public object? CreateState(Sequence sequence) => null;

    public IDecodeKvLists CreateLists(IBackend backend, IReadOnlyList<Sequence> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var lists = new int[batch.Count][]; // per sequence [NumTokens]
        for (int b = 0; b < batch.Count; b++) lists[b] = batch[b].SlotsUpTo(batch[b].NumTokens);
        return FullKvLists.Create(backend, lists);
    }
}
