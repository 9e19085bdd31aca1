// Cached RoPE cos/sin rows per position for one (θ, D): every layer of every decode step rotates at the same few
// positions, and the double-precision cos and sin behind each row cost more than the rotation itself.
namespace DyCoke.Tensors.Cpu;

/// <summary>
/// Rows [cos(p·inv_freq), sin(p·inv_freq)] ([2, D/2] floats each) for positions 0..<see cref="Capacity"/> − 1, computed
/// exactly as <see cref="CpuBackend"/> computes them per call (so cached and uncached rotations are bit-identical), grown
/// by doubling on demand up to <see cref="MaxPositions"/>. Readers take a snapshot; growth publishes a new array.
/// </summary>
internal sealed class RopeTable
{
    /// <summary>Positions a table may cover (Qwen2's context length); rows beyond are computed per call.</summary>
    public const int MaxPositions = 32_768;

    private readonly float[] _invFreq; // [D/2]
    private readonly Lock _grow = new();
    private float[] _rows = []; // [Capacity, 2, D/2]

    public RopeTable(float theta, int d)
    {
        Theta = theta;
        HeadDim = d;
        _invFreq = new float[d / 2];
        CpuBackend.FillInverseFrequencies(theta, d, _invFreq);
    }

    public float Theta { get; }

    public int HeadDim { get; }

    /// <summary>The inverse frequencies [D/2], for rows computed outside the table (read only).</summary>
    public float[] InverseFrequencies => _invFreq;

    /// <summary>
    /// A snapshot of rows covering positions up to <paramref name="maxPosition"/> when it is below
    /// <see cref="MaxPositions"/> (growing the table if needed); rows for larger positions are not in it.
    /// </summary>
    public float[] RowsFor(int maxPosition)
    {
        int half = HeadDim / 2;
        float[] rows = Volatile.Read(ref _rows);
        if (maxPosition < rows.Length / (2 * half) || rows.Length / (2 * half) >= MaxPositions) return rows;
        lock (_grow)
        {
            rows = _rows;
            int have = rows.Length / (2 * half);
            if (maxPosition < have) return rows;
            int capacity = Math.Min(MaxPositions, Math.Max(256, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)maxPosition + 1)));
            var grown = new float[capacity * 2 * half];
            rows.CopyTo(grown, 0);
            unsafe
            {
                fixed (float* inv = _invFreq, g = grown)
                {
                    for (int p = have; p < capacity; p++)
                        CpuBackend.FillCosSin(p, inv, g + (long)p * 2 * half, g + (long)p * 2 * half + half, half);
                }
            }
            Volatile.Write(ref _rows, grown);
            return grown;
        }
    }
}
