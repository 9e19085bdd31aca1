// DTypeConversion: exhaustive F16/BF16 round trips against an independent bit-level decoder, RNE ties, overflow,
// subnormals, signed zero and NaN, and bulk (vectorized) conversions equal to the scalar ones.
using Xunit;

namespace DyCoke.Tensors.Tests;

public class DTypeConversionTests
{
    private static readonly int[] s_lengths = [0, 1, 3, 7, 17, 33, 257, 4099];

    // Value of a binary16/bfloat16 bit pattern decoded from its fields, independent of Half and of bit shifting.
    private static double Decode(ushort bits, int mantissaBits, int exponentBias)
    {
        int sign = bits >> 15;
        int exponent = (bits >> mantissaBits) & ((1 << (15 - mantissaBits)) - 1);
        int mantissa = bits & ((1 << mantissaBits) - 1);
        int maxExponent = (1 << (15 - mantissaBits)) - 1;
        double magnitude = exponent == maxExponent
            ? (mantissa == 0 ? double.PositiveInfinity : double.NaN)
            : exponent == 0
                ? Math.ScaleB(mantissa, 1 - exponentBias - mantissaBits)
                : Math.ScaleB((1 << mantissaBits) + mantissa, exponent - exponentBias - mantissaBits);
        return sign == 1 ? -magnitude : magnitude;
    }

    private static double DecodeF16(ushort bits) => Decode(bits, 10, 15);

    private static double DecodeBF16(ushort bits) => Decode(bits, 7, 127);

    private static ushort[] AllPatterns() => Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();

    private static void AssertSameFloat(double expected, float actual, string what)
    {
        if (double.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"{what}: expected NaN, got {actual}");
            return;
        }
        Assert.True(expected == actual && double.IsNegative(expected) == float.IsNegative(actual), $"{what}: expected {expected:R}, got {actual:R}");
    }

    [Fact]
    public void F16ToSingle_AllPatterns_MatchesFieldDecoding()
    {
        var all = AllPatterns();
        var bulk = new float[all.Length];
        DTypeConversion.ConvertF16ToF32(all, bulk);
        foreach (ushort h in all)
        {
            AssertSameFloat(DecodeF16(h), DTypeConversion.F16ToSingle(h), $"scalar F16 0x{h:X4}");
            AssertSameFloat(DecodeF16(h), bulk[h], $"bulk F16 0x{h:X4}");
        }
    }

    [Fact]
    public void BF16ToSingle_AllPatterns_MatchesFieldDecoding()
    {
        var all = AllPatterns();
        var bulk = new float[all.Length];
        DTypeConversion.ConvertBF16ToF32(all, bulk);
        foreach (ushort b in all)
        {
            AssertSameFloat(DecodeBF16(b), DTypeConversion.BF16ToSingle(b), $"scalar BF16 0x{b:X4}");
            AssertSameFloat(DecodeBF16(b), bulk[b], $"bulk BF16 0x{b:X4}");
        }
    }

    [Fact]
    public void F16RoundTrip_AllPatterns_IsIdentityAndKeepsNaN()
    {
        var all = AllPatterns();
        var widened = new float[all.Length];
        var narrowed = new ushort[all.Length];
        DTypeConversion.ConvertF16ToF32(all, widened);
        DTypeConversion.ConvertF32ToF16(widened, narrowed);
        foreach (ushort h in all)
        {
            ushort scalar = DTypeConversion.SingleToF16(DTypeConversion.F16ToSingle(h));
            if (double.IsNaN(DecodeF16(h)))
            {
                Assert.True(double.IsNaN(DecodeF16(scalar)), $"scalar F16 NaN 0x{h:X4} became 0x{scalar:X4}");
                Assert.True(double.IsNaN(DecodeF16(narrowed[h])), $"bulk F16 NaN 0x{h:X4} became 0x{narrowed[h]:X4}");
            }
            else
            {
                Assert.Equal(h, scalar);
                Assert.Equal(h, narrowed[h]);
            }
        }
    }

    [Fact]
    public void BF16RoundTrip_AllPatterns_IsIdentityAndKeepsNaN()
    {
        var all = AllPatterns();
        var widened = new float[all.Length];
        var narrowed = new ushort[all.Length];
        DTypeConversion.ConvertBF16ToF32(all, widened);
        DTypeConversion.ConvertF32ToBF16(widened, narrowed);
        foreach (ushort b in all)
        {
            ushort scalar = DTypeConversion.SingleToBF16(DTypeConversion.BF16ToSingle(b));
            if (double.IsNaN(DecodeBF16(b)))
            {
                Assert.True(double.IsNaN(DecodeBF16(scalar)), $"scalar BF16 NaN 0x{b:X4} became 0x{scalar:X4}");
                Assert.Equal(scalar, narrowed[b]);
            }
            else
            {
                Assert.Equal(b, scalar);
                Assert.Equal(b, narrowed[b]);
            }
        }
    }

    [Fact]
    public void SingleToBF16_HalfwayAndNeighbours_RoundsToNearestEven()
    {
        // For every finite BF16 b, F32 bit patterns b·2¹⁶ + 0x7FFF / 0x8000 / 0x8001 lie just below, exactly at and just
        // above the midpoint to the next BF16 value (away from zero). Ties go to the even pattern, which for the largest
        // finite value is the infinity.
        var inputs = new List<float>();
        var expected = new List<ushort>();
        for (int b = 0; b < 65536; b++)
        {
            if ((b & 0x7F80) == 0x7F80) continue; // Inf/NaN: the midpoint patterns would be NaN
            foreach (uint low in new uint[] { 0x7FFF, 0x8000, 0x8001 })
            {
                inputs.Add(BitConverter.UInt32BitsToSingle(((uint)b << 16) | low));
                bool up = low > 0x8000 || (low == 0x8000 && (b & 1) == 1);
                expected.Add((ushort)(up ? b + 1 : b));
            }
        }
        var bulk = new ushort[inputs.Count];
        DTypeConversion.ConvertF32ToBF16(inputs.ToArray(), bulk);
        for (int i = 0; i < inputs.Count; i++)
        {
            Assert.Equal(expected[i], DTypeConversion.SingleToBF16(inputs[i]));
            Assert.Equal(expected[i], bulk[i]);
        }
        Assert.Equal((ushort)0x7F80, DTypeConversion.SingleToBF16(float.MaxValue)); // overflow → +Inf
        Assert.Equal((ushort)0xFF80, DTypeConversion.SingleToBF16(-float.MaxValue));
    }

    [Fact]
    public void SingleToF16_HalfwayBetweenNeighbours_RoundsToNearestEven()
    {
        var inputs = new List<float>();
        var expected = new List<ushort>();
        for (int h = 0; h < 65536; h++)
        {
            if ((h & 0x7C00) == 0x7C00) continue; // Inf/NaN
            double lo = DecodeF16((ushort)h);
            double hi = (h & 0x7FFF) == 0x7BFF ? Math.CopySign(65536.0, lo) : DecodeF16((ushort)(h + 1)); // past max: the next step is 2¹⁶
            double mid = (lo + hi) / 2; // exact in F32: F16 has 11 significant bits
            ushort even = (h & 1) == 0 ? (ushort)h : (ushort)(h + 1);
            inputs.Add((float)mid);
            expected.Add(even);
            inputs.Add(MathF.CopySign(MathF.BitIncrement(MathF.Abs((float)mid)), (float)mid)); // just past, away from zero
            expected.Add((ushort)(h + 1));
        }
        var bulk = new ushort[inputs.Count];
        DTypeConversion.ConvertF32ToF16(inputs.ToArray(), bulk);
        for (int i = 0; i < inputs.Count; i++)
        {
            Assert.Equal(expected[i], DTypeConversion.SingleToF16(inputs[i]));
            Assert.Equal(expected[i], bulk[i]);
        }
    }

    [Theory]
    [InlineData(65504f, (ushort)0x7BFF)]
    [InlineData(65519.996f, (ushort)0x7BFF)]
    [InlineData(65520f, (ushort)0x7C00)] // the midpoint to 2¹⁶ goes to even: +Inf
    [InlineData(1e6f, (ushort)0x7C00)]
    [InlineData(-1e6f, (ushort)0xFC00)]
    [InlineData(5.9604645e-8f, (ushort)0x0001)] // 2⁻²⁴, smallest subnormal
    [InlineData(2.9802322e-8f, (ushort)0x0000)] // 2⁻²⁵, tie between 0 and 2⁻²⁴ → 0 (even)
    [InlineData(2.9802326e-8f, (ushort)0x0001)] // just above the tie
    [InlineData(8.940697e-8f, (ushort)0x0002)] // 1.5·2⁻²⁴, tie → 2 (even)
    [InlineData(6.097555e-5f, (ushort)0x03FF)] // largest subnormal
    [InlineData(-0f, (ushort)0x8000)]
    [InlineData(0f, (ushort)0x0000)]
    public void SingleToF16_SpecialValues_AsIeee(float value, ushort expected)
    {
        Assert.Equal(expected, DTypeConversion.SingleToF16(value));
        var bulk = new ushort[1];
        DTypeConversion.ConvertF32ToF16([value], bulk);
        Assert.Equal(expected, bulk[0]);
    }

    [Theory]
    [InlineData(0x0000_0001u, (ushort)0x0000)] // smallest F32 subnormal rounds to zero
    [InlineData(0x0000_8000u, (ushort)0x0000)] // tie → even (0)
    [InlineData(0x0001_8000u, (ushort)0x0002)] // tie → even (2)
    [InlineData(0x0001_7FFFu, (ushort)0x0001)]
    [InlineData(0x007F_FFFFu, (ushort)0x0080)] // largest subnormal rounds up to the smallest normal
    [InlineData(0x8000_0000u, (ushort)0x8000)] // −0
    [InlineData(0x7F80_0000u, (ushort)0x7F80)] // +Inf
    [InlineData(0xFF80_0000u, (ushort)0xFF80)] // −Inf
    [InlineData(0x7F80_0001u, (ushort)0x7FC0)] // signalling NaN with a low payload must not become Inf
    [InlineData(0xFF80_0001u, (ushort)0xFFC0)]
    [InlineData(0x7FFF_FFFFu, (ushort)0x7FFF)] // NaN with a full payload must not wrap around
    [InlineData(0x7F7F_FFFFu, (ushort)0x7F80)] // F32 max overflows to +Inf
    public void SingleToBF16_SpecialBitPatterns_AsIeee(uint bits, ushort expected)
    {
        float value = BitConverter.UInt32BitsToSingle(bits);
        Assert.Equal(expected, DTypeConversion.SingleToBF16(value));
        var bulk = new ushort[40]; // long enough for every vector path to take it
        DTypeConversion.ConvertF32ToBF16(Enumerable.Repeat(value, 40).ToArray(), bulk);
        Assert.All(bulk, b => Assert.Equal(expected, b));
    }

    [Fact]
    public void NegativeZero_RoundTripsThroughBothFormats()
    {
        Assert.True(float.IsNegative(DTypeConversion.F16ToSingle(DTypeConversion.SingleToF16(-0f))));
        Assert.True(float.IsNegative(DTypeConversion.BF16ToSingle(DTypeConversion.SingleToBF16(-0f))));
    }

    // Random F32 bit patterns (every class: NaN payloads, Inf, subnormals, zeros) plus values near the F16 range.
    private static float[] RandomFloats(int seed, int length)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (i % 4) switch
            {
                0 => BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)),
                1 => (float)((rng.NextDouble() - 0.5) * 140000),
                2 => (float)((rng.NextDouble() - 0.5) * 1e-4),
                _ => i % 8 == 3 ? float.NaN : (float)(rng.NextDouble() - 0.5),
            };
        }
        return values;
    }

    [Fact]
    public void BulkNarrowing_RandomAndSpecialInputsAtEveryLengthAndOffset_EqualsScalar()
    {
        float[] pool = RandomFloats(1, 4099 + 3);
        foreach (int length in s_lengths)
        {
            for (int offset = 0; offset < 3; offset++)
            {
                var source = pool.AsSpan(offset, length);
                var bf16 = new ushort[length];
                var f16 = new ushort[length];
                DTypeConversion.ConvertF32ToBF16(source, bf16);
                DTypeConversion.ConvertF32ToF16(source, f16);
                for (int i = 0; i < length; i++)
                {
                    Assert.Equal(DTypeConversion.SingleToBF16(source[i]), bf16[i]);
                    ushort expected = DTypeConversion.SingleToF16(source[i]);
                    if (float.IsNaN(source[i])) Assert.True(double.IsNaN(DecodeF16(f16[i])), $"F16 of NaN gave 0x{f16[i]:X4}");
                    else Assert.Equal(expected, f16[i]);
                }
            }
        }
    }

    [Fact]
    public void BulkWidening_EveryLengthAndOffset_EqualsScalar()
    {
        var rng = new Random(2);
        ushort[] pool = Enumerable.Range(0, 4099 + 3).Select(_ => (ushort)rng.Next(65536)).ToArray();
        foreach (int length in s_lengths)
        {
            for (int offset = 0; offset < 3; offset++)
            {
                var source = pool.AsSpan(offset, length);
                var fromBF16 = new float[length];
                var fromF16 = new float[length];
                DTypeConversion.ConvertBF16ToF32(source, fromBF16);
                DTypeConversion.ConvertF16ToF32(source, fromF16);
                for (int i = 0; i < length; i++)
                {
                    Assert.Equal(BitConverter.SingleToUInt32Bits(DTypeConversion.BF16ToSingle(source[i])), BitConverter.SingleToUInt32Bits(fromBF16[i]));
                    AssertSameFloat(DTypeConversion.F16ToSingle(source[i]), fromF16[i], $"F16 0x{source[i]:X4}");
                }
            }
        }
    }

    [Fact]
    public void HalfToBFloatAndBack_AllPatterns_EqualsScalarComposition()
    {
        var all = AllPatterns();
        var toBF16 = new ushort[all.Length];
        var toF16 = new ushort[all.Length];
        DTypeConversion.ConvertF16ToBF16(all, toBF16);
        DTypeConversion.ConvertBF16ToF16(all, toF16);
        foreach (ushort x in all)
        {
            Assert.Equal(DTypeConversion.SingleToBF16(DTypeConversion.F16ToSingle(x)), toBF16[x]);
            ushort expected = DTypeConversion.SingleToF16(DTypeConversion.BF16ToSingle(x));
            if (double.IsNaN(DecodeBF16(x))) Assert.True(double.IsNaN(DecodeF16(toF16[x])));
            else Assert.Equal(expected, toF16[x]);
        }
    }

    [Fact]
    public void ByteSpanDispatch_EachFloatType_WidensAndNarrowsLikeTypedMethods()
    {
        float[] values = [1.5f, -2.25f, 65504f, 3.1415927f, -0f];
        foreach (var dtype in new[] { DType.F32, DType.F16, DType.BF16 })
        {
            var bytes = new byte[values.Length * dtype.SizeOf()];
            DTypeConversion.ConvertFromF32(values, dtype, bytes);
            var back = new float[values.Length];
            DTypeConversion.ConvertToF32(dtype, bytes, back);
            for (int i = 0; i < values.Length; i++)
            {
                float expected = dtype switch
                {
                    DType.F32 => values[i],
                    DType.F16 => DTypeConversion.F16ToSingle(DTypeConversion.SingleToF16(values[i])),
                    _ => DTypeConversion.BF16ToSingle(DTypeConversion.SingleToBF16(values[i])),
                };
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(back[i]));
            }
        }
    }

    [Fact]
    public void Conversions_ShortDestinationOrWrongType_Throw()
    {
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertF32ToBF16(new float[4], new ushort[3]));
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertBF16ToF32(new ushort[4], new float[3]));
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertF16ToF32(new ushort[4], new float[3]));
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertF32ToF16(new float[4], new ushort[3]));
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertF16ToBF16(new ushort[4], new ushort[3]));
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertToF32(DType.F16, new byte[6], new float[4]));
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertToF32(DType.I32, new byte[16], new float[4]));
        Assert.Throws<ArgumentException>(() => DTypeConversion.ConvertFromF32(new float[4], DType.U8, new byte[4]));
    }
}
