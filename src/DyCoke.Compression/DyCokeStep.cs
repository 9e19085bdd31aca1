// One decode step's DP decision, as DynamicKvPruning reports it (for stats, tests and traces).
namespace DyCoke.Compression;

/// <summary>What DP decided for one decode step of one sequence.</summary>
/// <param name="Step">0-based decode step (the first decode forward, which consumes generated token 1, is step 0).</param>
/// <param name="Similarity">cosine(v, v_prev) of the span scores; NaN on the first step.</param>
/// <param name="Pruned">Whether layers ≥ L attend to a pruned visual set.</param>
/// <param name="Reselected">Whether a new top-k ran this step.</param>
/// <param name="KeptSpanIndices">The kept span-relative indices (ascending) when pruned, else null.</param>
/// <param name="AttendedVisualTokens">Visual tokens layers ≥ L attended to, outside-span visual tokens included.</param>
public sealed record DyCokeStep(int Step, double Similarity, bool Pruned, bool Reselected, int[]? KeptSpanIndices, int AttendedVisualTokens);
