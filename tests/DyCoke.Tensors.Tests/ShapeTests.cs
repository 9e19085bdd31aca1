// Shape: rank, sizes, row folding, negative axes, equality and validation.
using Xunit;

namespace DyCoke.Tensors.Tests;

public class ShapeTests
{
    [Fact]
    public void Shape_Rank3_ReportsSizesRowsAndLastDim()
    {
        var shape = new Shape(2, 3, 4);
        Assert.Equal(3, shape.Rank);
        Assert.Equal(24, shape.NumElements);
        Assert.Equal(6, shape.Rows);
        Assert.Equal(4, shape.LastDim);
        Assert.Equal(2, shape[0]);
        Assert.Equal(4, shape[-1]);
        Assert.Equal(3, shape[-2]);
        Assert.Equal([2L, 3, 4], shape.ToArray());
        Assert.Equal("[2, 3, 4]", shape.ToString());
    }

    [Fact]
    public void Shape_Scalar_HasOneElementAndOneRow()
    {
        var scalar = new Shape(ReadOnlySpan<long>.Empty);
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1, scalar.NumElements);
        Assert.Equal(1, scalar.Rows);
        Assert.Equal(1, scalar.LastDim);
        Assert.Equal(default, scalar);
    }

    [Fact]
    public void Shape_ZeroDimension_HasNoElements()
    {
        var shape = new Shape(0, 5);
        Assert.Equal(0, shape.NumElements);
        Assert.Equal(0, shape.Rows);
        Assert.Equal(5, shape.LastDim);
    }

    [Fact]
    public void Shape_IntAndLongConstructors_AreEqualWithEqualHashes()
    {
        var a = new Shape(7, 896);
        var b = new Shape(7L, 896L);
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new Shape(896, 7));
        Assert.NotEqual(a, new Shape(7, 896, 1)); // a trailing 1 is a different rank
        Assert.True(a.Equals((object)b));
    }

    [Fact]
    public void Shape_WithDim_ReplacesOneAxisIncludingNegative()
    {
        var shape = new Shape(4, 5, 6);
        Assert.Equal(new Shape(4, 5, 9), shape.WithDim(-1, 9));
        Assert.Equal(new Shape(1, 5, 6), shape.WithDim(0, 1));
        Assert.Equal(new Shape(4, 5, 6), shape); // unchanged
    }

    [Fact]
    public void Shape_InvalidInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Shape(3, -1));
        Assert.Throws<ArgumentException>(() => new Shape(1, 1, 1, 1, 1, 1, 1, 1, 1));
        var shape = new Shape(2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => shape[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => shape[-3]);
        Assert.Throws<OverflowException>(() => new Shape(long.MaxValue, 2).NumElements);
    }

    [Fact]
    public void Shape_MaxRank_Allowed()
    {
        var shape = new Shape(1, 2, 1, 2, 1, 2, 1, 2);
        Assert.Equal(Shape.MaxRank, shape.Rank);
        Assert.Equal(16, shape.NumElements);
        Assert.Equal(8, shape.Rows);
    }
}
