// Hashing for token-pair keys packed into a long. long.GetHashCode folds the halves with XOR, which collides badly
// for pairs of small ids (a ^ b repeats across thousands of frequent merges) and turns lookups into chain walks.
namespace DyCoke.Model.Text;

internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    public static PairKeyComparer Instance { get; } = new();

    public bool Equals(long x, long y) => x == y;

    // Fibonacci hashing: the high bits of the product depend on every bit of the key.
    public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
}
