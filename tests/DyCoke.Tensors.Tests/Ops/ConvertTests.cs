// Convert: every supported dtype pair against the scalar conversions; integer rounding, truncation and saturation.
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public class ConvertTests
{
    private static readonly DType[] s_floats = [DType.F32, DType.F16, DType.BF16];

    // Reference: widen with the scalar methods to double, then narrow with the scalar methods.
    private static double Widen(Tensor t, int i) => t.DType switch
    {
        DType.F32 => t.Span<float>()[i],
        DType.F16 => DTypeConversion.F16ToSingle(t.Span<ushort>()[i]),
        DType.BF16 => DTypeConversion.BF16ToSingle(t.Span<ushort>()[i]),
        DType.I32 => t.Span<int>()[i],
        DType.I64 => t.Span<long>()[i],
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(257)]
    [InlineData(200_003)] // several parallel chunks
    public void Convert_EveryFloatPair_EqualsScalarConversions(int n)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 4 });
        foreach (var from in s_floats)
        {
            foreach (var to in s_floats)
            {
                using var src = TestTensors.Random(n, new Shape(n), from, -70000f, 70000f);
                using var dst = Tensor.Cpu(to, new Shape(n));
                backend.Convert(src, dst);
                for (int i = 0; i < n; i++)
                {
                    float wide = (float)Widen(src, i);
                    switch (to)
                    {
                        case DType.F32: Assert.Equal(wide, dst.Span<float>()[i]); break;
                        case DType.F16: Assert.Equal(DTypeConversion.SingleToF16(wide), dst.Span<ushort>()[i]); break;
                        default: Assert.Equal(DTypeConversion.SingleToBF16(wide), dst.Span<ushort>()[i]); break;
                    }
                }
            }
        }
    }

    [Fact]
    public void Convert_IntegersToF32_RoundToNearestEven()
    {
        using var backend = new CpuBackend();
        int[] ints = [0, -7, 16_777_217, 16_777_219, int.MaxValue, int.MinValue];
        using var i32 = Tensor.FromArray(ints, new Shape(ints.Length));
        using var f32 = Tensor.Cpu(DType.F32, i32.Shape);
        backend.Convert(i32, f32);
        Assert.Equal([0f, -7f, 16_777_216f, 16_777_220f, 2_147_483_648f, -2_147_483_648f], f32.Span<float>().ToArray());

        long[] longs = [1L << 40, -(1L << 53) - 1, 3];
        using var i64 = Tensor.FromSpan<long>(longs, DType.I64, new Shape(3));
        using var f32b = Tensor.Cpu(DType.F32, new Shape(3));
        backend.Convert(i64, f32b);
        Assert.Equal([(float)(1L << 40), (float)(-(1L << 53) - 1), 3f], f32b.Span<float>().ToArray());
    }

    [Fact]
    public void Convert_F32ToIntegers_TruncatesAndSaturates()
    {
        using var backend = new CpuBackend();
        float[] values = [2.9f, -2.9f, 1e20f, -1e20f, float.NaN, 0.5f];
        using var src = Tensor.FromArray(values, new Shape(values.Length));
        using var i32 = Tensor.Cpu(DType.I32, src.Shape);
        using var i64 = Tensor.Cpu(DType.I64, src.Shape);
        backend.Convert(src, i32);
        backend.Convert(src, i64);
        Assert.Equal([2, -2, int.MaxValue, int.MinValue, 0, 0], i32.Span<int>().ToArray());
        Assert.Equal([2L, -2L, long.MaxValue, long.MinValue, 0L, 0L], i64.Span<long>().ToArray());
    }

    [Fact]
    public void Convert_UnsupportedPairOrCount_Throws()
    {
        using var backend = new CpuBackend();
        using var u8 = Tensor.Cpu(DType.U8, new Shape(4));
        using var f32 = Tensor.Cpu(DType.F32, new Shape(4));
        using var f16 = Tensor.Cpu(DType.F16, new Shape(4));
        using var i32 = Tensor.Cpu(DType.I32, new Shape(4));
        using var i64 = Tensor.Cpu(DType.I64, new Shape(4));
        using var f32Long = Tensor.Cpu(DType.F32, new Shape(5));
        Assert.Throws<ArgumentException>(() => backend.Convert(u8, f32));
        Assert.Throws<ArgumentException>(() => backend.Convert(f16, i32));
        Assert.Throws<ArgumentException>(() => backend.Convert(i32, i64));
        Assert.Throws<ArgumentException>(() => backend.Convert(i32, f16));
        Assert.Throws<ArgumentException>(() => backend.Convert(f32, f32Long));
    }
}
