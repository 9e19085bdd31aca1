// The verb dispatcher (serve is routed before it, in Program.cs): anything but make-demo-model, selftest and help prints
// the usage, which documents serve, and exits 2.
using DyCoke.Server.Cli;
using Xunit;

namespace DyCoke.Server.Tests.Cli;

public sealed class VerbDispatcherTests
{
    [Theory]
    [InlineData(new string[0], "no verb given")]
    [InlineData(new[] { "bench" }, "unknown verb 'bench'")]
    [InlineData(new[] { "--make-demo-model" }, "unknown verb")]
    [InlineData(new[] { "selftest", "--fast" }, "selftest takes no arguments")]
    public void Run_NotAnAvailableVerb_UsageListingVerbsAndExit2(string[] args, string expectedProblem)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = VerbDispatcher.Run(args, stdout, stderr);

        Assert.Equal(VerbDispatcher.ExitUsage, code);
        string text = stderr.ToString();
        Assert.Contains(expectedProblem, text, StringComparison.Ordinal);
        Assert.Contains("make-demo-model DIR [--tokenizer PATH] [--seed N]", text, StringComparison.Ordinal);
        Assert.Contains("serve", text, StringComparison.Ordinal);
        Assert.Contains("--model DIR", text, StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    public void Run_Help_UsageOnStdoutExit0(string verb)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = VerbDispatcher.Run([verb], stdout, stderr);

        Assert.Equal(VerbDispatcher.ExitOk, code);
        Assert.Contains("make-demo-model", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stderr.ToString());
    }

    [Fact]
    public void Run_SelftestWithoutGpu_SaysWhyAndExits3()
    {
        var stdout = new StringWriter();

        int code = VerbDispatcher.Run(["selftest"], stdout, new StringWriter());

        // On a GPU host the same call runs the comparison table instead (exit 0 or 1).
        Assert.SkipWhen(code != DyCoke.Tensors.Diagnostics.CudaSelfTest.ExitNoGpu, "a GPU is present: covered by the GPU check");
        Assert.Contains("no GPU to test", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MakeDemoModelHelp_UsageOnStdoutExit0WithoutWriting()
    {
        var stdout = new StringWriter();

        int code = VerbDispatcher.Run(["make-demo-model", "--help"], stdout, new StringWriter());

        Assert.Equal(VerbDispatcher.ExitOk, code);
        Assert.Contains("--tokenizer PATH", stdout.ToString(), StringComparison.Ordinal);
    }
}
