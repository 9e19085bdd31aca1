// Start-up with Model:KvCacheDType: the demo checkpoint on the CPU loads with a BF16 cache by default (logged), with
// the F32 one when pinned, and refuses a dtype the CPU cannot keep with a message naming the choices.
using DyCoke.Compression;
using DyCoke.Server.Hosting;
using DyCoke.Server.Options;
using DyCoke.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace DyCoke.Server.Tests.Hosting;

public sealed class ModelLoaderKvCacheTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), $"dycoke-loader-tests-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("auto", DType.BF16)]
    [InlineData("float32", DType.F32)]
    public void Load_DemoOnCpu_KvCacheInTheResolvedDType(string setting, DType expected)
    {
        using var served = ModelLoader.Load(Settings(setting), new SchedulerSettings { KvCacheSlots = 1024 }, new DyCokeOptions(), NullLogger.Instance);
        Assert.Equal(expected, served.Engine.KvCacheDType);
    }

    [Fact]
    public void Load_Float16OnCpu_FailsNamingTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            ModelLoader.Load(Settings("float16"), new SchedulerSettings { KvCacheSlots = 1024 }, new DyCokeOptions(), NullLogger.Instance));
        Assert.Contains("float16", e.Message);
        Assert.Contains("bfloat16", e.Message);
    }

    private ModelSettings Settings(string kvCacheDType) => new() { CacheDirectory = _cache, Device = "cpu", KvCacheDType = kvCacheDType };

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }
}
