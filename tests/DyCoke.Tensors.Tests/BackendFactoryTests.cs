// Device selection: auto falls back to the CPU with a logged reason, explicit cuda fails loudly without a GPU.
using DyCoke.Tensors.Cuda;
using Xunit;

namespace DyCoke.Tensors.Tests;

public sealed class BackendFactoryTests
{
    [Fact]
    public void Create_Cpu_LogsTheBackend()
    {
        var log = new List<string>();
        using var backend = BackendFactory.Create("cpu", log.Add);
        Assert.Equal(DeviceKind.Cpu, backend.Device);
        Assert.Contains(log, l => l.StartsWith("compute backend: cpu", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_AutoWithoutGpu_FallsBackToCpuAndSaysWhy()
    {
        Assert.SkipWhen(CudaDevice.TryProbe(out _, out _), "a GPU is present: auto picks CUDA");
        var log = new List<string>();
        using var backend = BackendFactory.Create("auto", log.Add);
        Assert.Equal(DeviceKind.Cpu, backend.Device);
        Assert.Contains(log, l => l.Contains("using the CPU backend because CUDA is not usable", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_CudaWithoutGpu_ThrowsWithTheReason()
    {
        Assert.SkipWhen(CudaDevice.TryProbe(out _, out _), "a GPU is present");
        var e = Assert.Throws<InvalidOperationException>(() => BackendFactory.Create("cuda", _ => { }));
        Assert.Contains("CUDA is not usable", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("cuda:x")]
    public void Create_UnknownDevice_Throws(string device)
    {
        Assert.Throws<ArgumentException>(() => BackendFactory.Create(device, _ => { }));
    }
}
