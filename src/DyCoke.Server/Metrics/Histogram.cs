// A Prometheus histogram: fixed upper bounds, cumulative bucket counts, sum and count; lock-free updates.
using System.Globalization;
using System.Text;

namespace DyCoke.Server.Metrics;

/// <summary>One unlabelled histogram.</summary>
public sealed class Histogram(string name, string help, double[] bounds)
{
    private readonly long[] _buckets = new long[bounds.Length + 1]; // [bounds + 1], the last is +Inf
    private long _count;
    private long _sumMicros; // sum in millionths, so Interlocked can add it

    public string Name { get; } = name;

    public long Count => Interlocked.Read(ref _count);

    public void Observe(double value)
    {
        int i = 0;
        while (i < bounds.Length && value > bounds[i]) i++;
        Interlocked.Increment(ref _buckets[i]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMicros, (long)Math.Round(value * 1e6));
    }

    /// <summary>Appends the HELP, TYPE, bucket, sum and count lines.</summary>
    public void WriteTo(StringBuilder sb)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append("# HELP ").Append(Name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(Name).Append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i <= bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            string le = i < bounds.Length ? bounds[i].ToString(inv) : "+Inf";
            sb.Append(Name).Append("_bucket{le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
        }
        sb.Append(Name).Append("_sum ").Append((Interlocked.Read(ref _sumMicros) / 1e6).ToString(inv)).Append('\n');
        sb.Append(Name).Append("_count ").Append(Count).Append('\n');
    }
}
