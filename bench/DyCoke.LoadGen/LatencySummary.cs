// Order statistics of one latency sample (TTFT, ITL, e2e, TPOT): mean and the percentiles a serving benchmark
// reports, computed exactly over every observation of a level rather than from histogram buckets.
namespace DyCoke.LoadGen;

/// <summary>Mean, p50, p90, p99, min and max of a sample, in milliseconds; all zero with <see cref="Count"/> 0.</summary>
internal sealed record LatencySummary(int Count, double Mean, double P50, double P90, double P99, double Min, double Max)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0, 0);

    /// <summary>Summarises <paramref name="seconds"/> (any order), reporting milliseconds.</summary>
    public static LatencySummary FromSeconds(IEnumerable<double> seconds)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        double[] sorted = [.. seconds.Select(s => s * 1000)];
        if (sorted.Length == 0) return Empty;
        Array.Sort(sorted);
        return new LatencySummary(sorted.Length, sorted.Average(), Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99),
            sorted[0], sorted[^1]);
    }

    /// <summary>The <paramref name="p"/>-th percentile of an ascending sample, interpolating linearly between the two
    /// nearest ranks (rank p/100·(n−1), numpy's default), so small samples still give distinct p90 and p99.</summary>
    /// <exception cref="ArgumentException">The sample is empty, or <paramref name="p"/> is outside [0, 100] or NaN.</exception>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new ArgumentException("the sample is empty", nameof(sorted));
        if (!(p >= 0 && p <= 100)) throw new ArgumentException($"percentile {p} is outside [0, 100]", nameof(p));
        double rank = p / 100 * (sorted.Count - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Count - 1);
        double fraction = rank - below;
        return sorted[below] + (sorted[above] - sorted[below]) * fraction;
    }
}
