// Host ↔ backend transfers shared by model, compression and benchmarks (exercised here on the CPU backend).
using DyCoke.Tensors.Cpu;
using Xunit;

namespace DyCoke.Tensors.Tests;

public sealed class BackendTransfersTests
{
    [Fact]
    public void UploadInts_ThenReadInts_RoundTrips()
    {
        using var cpu = new CpuBackend();
        using var t = cpu.UploadInts([3, -1, 7, int.MaxValue]);
        Assert.Equal(DType.I32, t.DType);
        Assert.Equal(new Shape(4), t.Shape);
        Assert.Equal([3, -1, 7, int.MaxValue], cpu.ReadInts(t));
        Assert.Equal([3f, -1f, 7f, int.MaxValue], cpu.ReadFloats(t));
    }

    [Fact]
    public void Upload_ConvertsToTheRequestedDType()
    {
        using var cpu = new CpuBackend();
        using var host = Tensor.FromArray([1f, 1.0009765625f, -2.5f], new Shape(3));
        using var f16 = cpu.Upload(host, DType.F16);
        Assert.Equal(DType.F16, f16.DType);
        Assert.Equal([1f, 1.0009765625f, -2.5f], cpu.ReadFloats(f16)); // exactly representable in F16
        using var bf16 = cpu.Upload(host, DType.BF16);
        Assert.Equal([1f, 1f, -2.5f], cpu.ReadFloats(bf16)); // 1 + 2⁻¹⁰ rounds to 1 in BF16 (8 mantissa bits)
    }

    [Fact]
    public void ReadInts_NonIntTensor_Throws()
    {
        using var cpu = new CpuBackend();
        using var t = Tensor.FromArray([1f], new Shape(1));
        Assert.Throws<ArgumentException>(() => cpu.ReadInts(t));
    }

    [Fact]
    public void ReadFloats_IntoBuffer_ConvertsEveryDTypeAndChecksTheLength()
    {
        using var cpu = new CpuBackend();
        using var source = Tensor.FromArray([1f, 1.0009765625f, -2.5f], new Shape(3));
        using var f16 = cpu.Upload(source, DType.F16);
        using var bf16 = cpu.Upload(source, DType.BF16);
        using var ints = cpu.UploadInts([3, -1, 7]);
        var buffer = new float[3];
        foreach (var t in new[] { source, f16, bf16, ints })
        {
            cpu.ReadFloats(t, buffer);
            Assert.Equal(cpu.ReadFloats(t), buffer);
        }
        Assert.Equal([3f, -1f, 7f], buffer);
        Assert.Throws<ArgumentException>(() => cpu.ReadFloats(source, new float[4]));
    }

    [Fact]
    public void ReadInts_IntoBuffer_CopiesAndChecksDTypeAndLength()
    {
        using var cpu = new CpuBackend();
        using var ints = cpu.UploadInts([3, -1, 7]);
        var buffer = new int[3];
        cpu.ReadInts(ints, buffer);
        Assert.Equal([3, -1, 7], buffer);
        Assert.Throws<ArgumentException>(() => cpu.ReadInts(ints, new int[4]));
        using var floats = Tensor.FromArray([1f, 2f, 3f], new Shape(3));
        Assert.Throws<ArgumentException>(() => cpu.ReadInts(floats, buffer));
    }
}
