// DyCoke's hyperparameters (dycoke-algorithm.md §8) with the paper's defaults, validated once at the boundary.
namespace DyCoke.Compression;

/// <summary>DyCoke settings for one request. Defaults are the paper's main setting: K 0.7, L 3, P 0.7, gate 0.9.</summary>
public sealed record DyCokeOptions
{
    /// <summary>Whether DyCoke runs at all; when false the model runs uncompressed.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>TTM: the fraction of tokens dropped from each non-anchor frame, in [0, 1].</summary>
    public double K { get; init; } = 0.7;

    /// <summary>DP: the first pruned layer (0-based, ≥ 1); the scores come from layer L − 1.</summary>
    public int L { get; init; } = 3;

    /// <summary>DP: the fraction of the visual span pruned at each pruned decode step, in [0, 1].</summary>
    public double P { get; init; } = 0.7;

    /// <summary>DP: the selection is redone when cosine(attention now, attention last step) is below this, in [−1, 1].</summary>
    public double Gate { get; init; } = 0.9;

    /// <summary>Paper intent or the official code's behaviour.</summary>
    public DyCokeMode Mode { get; init; } = DyCokeMode.Paper;

    /// <summary>The options with every default (the paper's main setting, enabled).</summary>
    public static DyCokeOptions Default { get; } = new();

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K or P outside [0, 1], L below 1, Gate outside [−1, 1] (or NaN),
    /// or an undefined Mode.</exception>
    public void Validate()
    {
        if (!(K >= 0 && K <= 1)) throw new ArgumentOutOfRangeException(nameof(K), K, "DyCoke K (TTM drop ratio) must be in [0, 1]");
        if (!(P >= 0 && P <= 1)) throw new ArgumentOutOfRangeException(nameof(P), P, "DyCoke P (decode prune ratio) must be in [0, 1]");
        if (L < 1) throw new ArgumentOutOfRangeException(nameof(L), L, "DyCoke L (first pruned layer) must be ≥ 1: the scores come from layer L − 1");
        if (!(Gate >= -1 && Gate <= 1)) throw new ArgumentOutOfRangeException(nameof(Gate), Gate, "DyCoke Gate (cosine threshold) must be in [−1, 1]");
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "unknown DyCoke mode");
    }

    /// <summary>Tokens a pruned frame keeps: floor((1 − K)·N), in double as the reference computes it.</summary>
    public int KeptPerPrunedFrame(int tokensPerFrame) => (int)Math.Floor((1.0 - K) * tokensPerFrame);

    /// <summary>Visual tokens a pruned decode step keeps from a span of <paramref name="spanLength"/>: floor(len·(1 − P)).</summary>
    public int KeptPerDecodeStep(int spanLength) => (int)Math.Floor(spanLength * (1.0 - P));
}
