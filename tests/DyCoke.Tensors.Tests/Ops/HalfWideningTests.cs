// The vectorized F16/BF16 → F32 widening used by the GEMM packing and GEMV against the scalar conversions, for every
// 16-bit pattern (run under each SIMD mode, so each code path is covered).
using DyCoke.Tensors.Cpu.Gemm;
using Xunit;

namespace DyCoke.Tensors.Tests.Ops;

public unsafe class HalfWideningTests
{
    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Widen_AllBitPatterns_MatchesScalarConversion(DType dtype)
    {
        var bits = new ushort[65536 + 7]; // odd length so the scalar tail also runs
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var widened = new float[bits.Length];
        fixed (ushort* src = bits)
        fixed (float* dst = widened)
            ManagedLinear.Widen(src, dtype, dst, bits.Length);

        for (int i = 0; i < bits.Length; i++)
        {
            float expected = dtype == DType.F16 ? DTypeConversion.F16ToSingle(bits[i]) : DTypeConversion.BF16ToSingle(bits[i]);
            if (float.IsNaN(expected))
                Assert.True(float.IsNaN(widened[i]), $"pattern 0x{bits[i]:X4} should widen to NaN, got {widened[i]}");
            else
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(widened[i]),
                    $"pattern 0x{bits[i]:X4}: expected {expected:R}, got {widened[i]:R}");
        }
    }
}
