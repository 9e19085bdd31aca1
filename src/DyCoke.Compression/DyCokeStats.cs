// What DyCoke did for one request (issue 7 "Stats"): visual tokens before/after TTM and the decode steps' pruning,
// for responses and metrics.
namespace DyCoke.Compression;

/// <summary>Per-sequence DyCoke counters; one instance per request.</summary>
public sealed class DyCokeStats
{
    /// <summary>Video tokens (all videos, newlines excluded) before TTM.</summary>
    public int VideoTokensBefore { get; private set; }

    /// <summary>Video tokens (all videos, newlines excluded) after TTM.</summary>
    public int VideoTokensAfter { get; private set; }

    /// <summary>Decode steps that ran with DP state (pruned or not).</summary>
    public int DecodeSteps { get; private set; }

    /// <summary>Decode steps whose layers ≥ L attended to a pruned visual set.</summary>
    public int PrunedSteps { get; private set; }

    /// <summary>Steps that ran a new top-k selection (the gate fired or there was no previous score).</summary>
    public int ReselectedSteps { get; private set; }

    /// <summary>Steps that reused the previous selection (Paper mode, stable attention).</summary>
    public int ReusedSteps { get; private set; }

    /// <summary>Sum over decode steps of the visual tokens the layers ≥ L attended to.</summary>
    public long KeptVisualTokensTotal { get; private set; }

    /// <summary>Mean visual tokens attended at layers ≥ L per decode step (0 before the first step).</summary>
    public double MeanKeptVisualTokens => DecodeSteps == 0 ? 0 : (double)KeptVisualTokensTotal / DecodeSteps;

    /// <summary>Adds one video's TTM result.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative or after exceeds before.</exception>
    public void RecordMerge(int before, int after)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentOutOfRangeException.ThrowIfLessThan(before, after);
        VideoTokensBefore += before;
        VideoTokensAfter += after;
    }

    internal void RecordStep(DyCokeStep step)
    {
        DecodeSteps++;
        KeptVisualTokensTotal += step.AttendedVisualTokens;
        if (step.Pruned) PrunedSteps++;
        if (step.Reselected) ReselectedSteps++;
        else if (step.Pruned) ReusedSteps++;
    }
}
