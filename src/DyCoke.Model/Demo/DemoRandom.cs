// The demo checkpoint's random numbers: SplitMix64 streams keyed by (seed, tensor name), and near-Gaussian samples
// built from integer arithmetic only, so the same seed gives the same bits on every platform and runtime.
using System.Text;

namespace DyCoke.Model.Demo;

/// <summary>
/// A small deterministic generator (SplitMix64). Never <see cref="Random"/>: its algorithm is not part of its
/// contract, and the demo files must stay byte-identical across runtimes.
/// </summary>
internal sealed class DemoRandom
{
    private const ulong GoldenGamma = 0x9E37_79B9_7F4A_7C15UL;

    // Irwin–Hall with twelve uniforms has variance 1; summing integers keeps it exact, unlike Box–Muller,
    // whose Math.Log/Math.Cos come from the platform's C library and may differ in the last bit.
    private const int UniformsPerSample = 12;

    private ulong _state;

    public DemoRandom(ulong seed) => _state = seed;

    /// <summary>A stream of its own for one tensor, so adding or reordering tensors never changes the others.</summary>
    public static DemoRandom ForTensor(ulong seed, string tensorName) => new(Mix(seed ^ Fnv1a64(tensorName)));

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        _state += GoldenGamma;
        return Mix(_state);
    }

    /// <summary>
    /// An approximately standard-normal sample (mean 0, variance 1, bounded to ±6): the sum of twelve 32-bit uniforms
    /// minus six. Exact in integer arithmetic; one rounding when converting to double.
    /// </summary>
    public double NextGaussian()
    {
        long sum = 0;
        for (int i = 0; i < UniformsPerSample; i++) sum += (long)(NextUInt64() >> 32);
        // sum / 2^32 lies in [0, 12); centring needs 6 · 2^32.
        long centred = sum - 6L * (1L << 32);
        return centred / 4294967296.0;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }

    // string.GetHashCode is randomised per process, so the name hash is spelled out.
    private static ulong Fnv1a64(string text)
    {
        ulong hash = 0xCBF2_9CE4_8422_2325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 0x0000_0100_0000_01B3UL;
        }
        return hash;
    }
}
