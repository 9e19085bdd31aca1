// ServeArguments: which command lines start the server, and the short aliases rewritten to configuration keys.
using DyCoke.Server.Cli;
using Xunit;

namespace DyCoke.Server.Tests.Cli;

public sealed class ServeArgumentsTests
{
    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "serve" }, true)]
    [InlineData(new[] { "--urls", "http://127.0.0.1:8000" }, true)]
    [InlineData(new[] { "make-demo-model", "d" }, false)]
    [InlineData(new[] { "selftest" }, false)]
    [InlineData(new[] { "--help" }, false)]
    public void IsServe_CommandLine_RoutesToTheServerOrTheVerbs(string[] args, bool expected) =>
        Assert.Equal(expected, ServeArguments.IsServe(args));

    [Fact]
    public void Normalize_Aliases_BecomeConfigurationKeys()
    {
        var result = ServeArguments.Normalize(["serve", "--model", "/m", "--device=cpu", "--urls", "http://127.0.0.1:1", "--api-key", "k"]);
        Assert.Equal(["--Model:Path", "/m", "--Model:Device", "cpu", "--urls", "http://127.0.0.1:1", "--Server:ApiKeys:0", "k"], result);
    }

    [Fact]
    public void Normalize_KvCacheDType_BecomesTheModelSetting() =>
        Assert.Equal(["--Model:KvCacheDType", "float32", "--Model:KvCacheDType", "bfloat16"],
            ServeArguments.Normalize(["--kv-cache-dtype", "float32", "--kv-cache-dtype=bfloat16"]));
}
