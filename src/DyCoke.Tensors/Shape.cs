// Row-major, contiguous tensor shapes of up to eight dimensions, outermost first (as in PyTorch).
// Dimension letters used in shape comments across the solution:
//   T tokens, H query heads, Hkv key/value heads, D head dim, C hidden, V vocab, F frames, P patches,
//   S KV slots, B sequences in a batch, N output features, K input features, I intermediate size.
using System.Runtime.CompilerServices;

namespace DyCoke.Tensors;

/// <summary>An immutable tensor shape (rank 0..8, each dimension ≥ 0). Value equality.</summary>
public readonly struct Shape : IEquatable<Shape>
{
    public const int MaxRank = 8;

    [InlineArray(MaxRank)]
    private struct Dims
    {
        private long _element0;
    }

    private readonly Dims _dims;

    public int Rank { get; }

    public Shape(params ReadOnlySpan<long> dims)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentException($"rank {dims.Length} exceeds the maximum of {MaxRank}", nameof(dims));
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0) throw new ArgumentException($"dimension {i} is negative ({dims[i]})", nameof(dims));
            _dims[i] = dims[i];
        }
        Rank = dims.Length;
    }

    public Shape(params ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentException($"rank {dims.Length} exceeds the maximum of {MaxRank}", nameof(dims));
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0) throw new ArgumentException($"dimension {i} is negative ({dims[i]})", nameof(dims));
            _dims[i] = dims[i];
        }
        Rank = dims.Length;
    }

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public long this[int axis]
    {
        get
        {
            int a = axis < 0 ? axis + Rank : axis;
            if ((uint)a >= (uint)Rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"shape {this} has rank {Rank}");
            return _dims[a];
        }
    }

    /// <summary>Product of all dimensions (1 for rank 0).</summary>
    public long NumElements
    {
        get
        {
            long n = 1;
            for (int i = 0; i < Rank; i++) n = checked(n * _dims[i]);
            return n;
        }
    }

    /// <summary>Size of the last dimension (1 for rank 0).</summary>
    public long LastDim => Rank == 0 ? 1 : _dims[Rank - 1];

    /// <summary>Product of all dimensions but the last: the row count when the tensor is seen as a matrix.</summary>
    public long Rows
    {
        get
        {
            long n = 1;
            for (int i = 0; i < Rank - 1; i++) n = checked(n * _dims[i]);
            return n;
        }
    }

    public long[] ToArray()
    {
        var a = new long[Rank];
        for (int i = 0; i < Rank; i++) a[i] = _dims[i];
        return a;
    }

    /// <summary>The same shape with dimension <paramref name="axis"/> replaced.</summary>
    public Shape WithDim(int axis, long size)
    {
        var a = ToArray();
        a[axis < 0 ? axis + Rank : axis] = size;
        return new Shape(a);
    }

    public bool Equals(Shape other)
    {
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dims[i] != other._dims[i]) return false;
        return true;
    }

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Rank);
        for (int i = 0; i < Rank; i++) h.Add(_dims[i]);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public override string ToString() => "[" + string.Join(", ", ToArray()) + "]";
}
