// Tensor: allocation, views that share memory (Reshape, Rows), ownership on Dispose, typed spans and conversions.
using Xunit;

namespace DyCoke.Tensors.Tests;

public class TensorTests
{
    [Fact]
    public void Cpu_NewTensor_IsZeroedAlignedAndSized()
    {
        using var t = Tensor.Cpu(DType.BF16, new Shape(3, 5));
        Assert.Equal(DType.BF16, t.DType);
        Assert.Equal(DeviceKind.Cpu, t.Device);
        Assert.Equal(15, t.NumElements);
        Assert.Equal(30, t.ByteCount);
        Assert.Equal(0, t.Pointer % CpuStorage.Alignment);
        Assert.All(t.Span<ushort>().ToArray(), v => Assert.Equal((ushort)0, v));
    }

    [Fact]
    public void Reshape_View_SharesMemoryWithOwner()
    {
        using var t = Tensor.FromArray([1f, 2, 3, 4, 5, 6], new Shape(2, 3));
        using var view = t.Reshape(new Shape(3, 2));
        Assert.Equal(new Shape(3, 2), view.Shape);
        Assert.Equal(t.Pointer, view.Pointer);
        view.Span<float>()[5] = 60f;
        Assert.Equal(60f, t.Span<float>()[5]);
    }

    [Fact]
    public void Rows_View_StartsAtTheRowAndSharesMemory()
    {
        using var t = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), new Shape(4, 3));
        using var rows = t.Rows(1, 2);
        Assert.Equal(new Shape(2, 3), rows.Shape);
        Assert.Equal([3f, 4, 5, 6, 7, 8], rows.Span<float>().ToArray());
        rows.Span<float>()[0] = -3f;
        Assert.Equal(-3f, t.Span<float>()[3]);
        using var none = t.Rows(4, 0);
        Assert.Equal(0, none.NumElements);
    }

    [Fact]
    public void Rows_Rank3_FoldsTrailingDimsIntoTheRow()
    {
        using var t = Tensor.Cpu(DType.F16, new Shape(5, 2, 4)); // [S, Hkv, D]
        using var rows = t.Rows(3, 2);
        Assert.Equal(new Shape(2, 2, 4), rows.Shape);
        Assert.Equal(t.Pointer + 3 * 2 * 4 * 2, rows.Pointer);
    }

    [Fact]
    public void Views_InvalidRequests_Throw()
    {
        using var t = Tensor.Cpu(DType.F32, new Shape(4, 3));
        Assert.Throws<ArgumentException>(() => t.Reshape(new Shape(5, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Rows(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Rows(-1, 1));
        using var scalar = Tensor.Cpu(DType.F32, new Shape(ReadOnlySpan<int>.Empty));
        Assert.Throws<InvalidOperationException>(() => scalar.Rows(0, 1));
    }

    [Fact]
    public void Dispose_Owner_FreesStorageForItsViews()
    {
        var t = Tensor.Cpu(DType.F32, new Shape(4, 4));
        var view = t.Rows(1, 2);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Pointer);
        Assert.Throws<ObjectDisposedException>(() => view.Pointer);
        t.Dispose(); // idempotent
    }

    [Fact]
    public void Dispose_View_LeavesOwnerUsable()
    {
        using var t = Tensor.FromArray([1f, 2, 3, 4], new Shape(2, 2));
        t.Reshape(new Shape(4)).Dispose();
        t.Rows(0, 1).Dispose();
        Assert.Equal([1f, 2, 3, 4], t.Span<float>().ToArray());
    }

    [Fact]
    public unsafe void FromExternal_Dispose_DoesNotFreeForeignMemory()
    {
        float[] backing = [1f, 2f, 3f];
        fixed (float* p = backing)
        {
            var t = Tensor.FromExternal((nint)p, DType.F32, new Shape(3), DeviceKind.Cpu, owner: backing);
            t.Span<float>()[1] = 20f;
            t.Dispose();
            Assert.Equal(20f, backing[1]);
        }
    }

    [Fact]
    public void Span_ElementTypeMustMatchDTypeSize()
    {
        using var t = Tensor.Cpu(DType.F16, new Shape(4));
        Assert.Equal(4, t.Span<ushort>().Length);
        Assert.Equal(4, t.Span<Half>().Length);
        Assert.Throws<InvalidOperationException>(() => t.Span<float>());
        Assert.Throws<InvalidOperationException>(() => t.Span<byte>());
    }

    [Fact]
    public void FromSpan_MismatchedTypeOrCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => Tensor.FromSpan<float>([1f, 2f], DType.F16, new Shape(2)));
        Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f, 3f], new Shape(2)));
        using var ints = Tensor.FromArray([7, -8], new Shape(2));
        Assert.Equal(DType.I32, ints.DType);
        Assert.Equal([7, -8], ints.Span<int>().ToArray());
    }

    [Fact]
    public void ToFloatArray_HalfBFloatAndInt_WidensExactly()
    {
        using var f16 = Tensor.FromSpan<ushort>([DTypeConversion.SingleToF16(1.5f), DTypeConversion.SingleToF16(-65504f)], DType.F16, new Shape(2));
        using var bf16 = Tensor.FromSpan<ushort>([DTypeConversion.SingleToBF16(3f), DTypeConversion.SingleToBF16(-0.15625f)], DType.BF16, new Shape(2));
        using var i32 = Tensor.FromArray([16_777_216, -3], new Shape(2));
        Assert.Equal([1.5f, -65504f], f16.ToFloatArray());
        Assert.Equal([3f, -0.15625f], bf16.ToFloatArray());
        Assert.Equal([16_777_216f, -3f], i32.ToFloatArray());
        using var i64 = Tensor.Cpu(DType.I64, new Shape(1));
        Assert.Throws<InvalidOperationException>(() => i64.ToFloatArray());
    }
}
