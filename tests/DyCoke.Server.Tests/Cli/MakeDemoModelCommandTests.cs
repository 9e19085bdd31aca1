// The make-demo-model verb: argument parsing (exit 2 with usage on bad input) and a real run into a temp directory.
using DyCoke.Model.Config;
using DyCoke.Server.Cli;
using Xunit;

namespace DyCoke.Server.Tests.Cli;

public sealed class MakeDemoModelCommandTests
{
    [Theory]
    [InlineData(new[] { "out" }, "out", null, 0UL)]
    [InlineData(new[] { "out", "--seed", "42" }, "out", null, 42UL)]
    [InlineData(new[] { "--seed=18446744073709551615", "out" }, "out", null, ulong.MaxValue)]
    [InlineData(new[] { "out", "--tokenizer", "tok/tokenizer.json", "--seed", "7" }, "out", "tok/tokenizer.json", 7UL)]
    public void TryParse_ValidArguments_Parsed(string[] args, string directory, string? tokenizer, ulong seed)
    {
        Assert.True(MakeDemoModelCommand.TryParse(args, out var parsed, out string? problem), problem);
        Assert.Equal(new MakeDemoModelArguments(directory, tokenizer, seed), parsed);
    }

    [Theory]
    [InlineData(new string[0], "needs a directory")]
    [InlineData(new[] { "--seed", "3" }, "needs a directory")]
    [InlineData(new[] { "out", "--seed", "-1" }, "--seed must be")]
    [InlineData(new[] { "out", "--seed", "abc" }, "--seed must be")]
    [InlineData(new[] { "out", "--seed", "18446744073709551616" }, "--seed must be")]
    [InlineData(new[] { "out", "--seed", " 5" }, "--seed must be")]
    [InlineData(new[] { "out", "--seed" }, "needs a value")]
    [InlineData(new[] { "out", "--seed", "1", "--seed", "2" }, "twice")]
    [InlineData(new[] { "out", "--colour", "red" }, "unknown option")]
    [InlineData(new[] { "out", "-v" }, "unknown option")]
    [InlineData(new[] { "out", "other" }, "unexpected argument")]
    [InlineData(new[] { "out", "--tokenizer=" }, "--tokenizer needs a path")]
    public void Run_BadArguments_UsageAndExit2(string[] args, string expectedProblem)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = MakeDemoModelCommand.Run(args, stdout, stderr);

        Assert.Equal(VerbDispatcher.ExitUsage, code);
        Assert.Contains(expectedProblem, stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("Usage: dycoke-server", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public void Run_IntoTempDirectory_WritesLoadableDemoModelAndExits0()
    {
        using var temp = new TempDirectory();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string target = temp.Sub("demo");

        int code = VerbDispatcher.Run(["make-demo-model", target, "--seed", "9"], stdout, stderr);

        Assert.Equal(VerbDispatcher.ExitOk, code);
        Assert.Equal("", stderr.ToString());
        Assert.Contains("answers mean nothing", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("seed 9", stdout.ToString(), StringComparison.Ordinal);
        var config = LlavaOnevisionConfig.Load(Path.Combine(target, "config.json"));
        Assert.Equal(27, config.Vision.GridSize);
        foreach (string file in (string[])["model.safetensors", "tokenizer.json", "tokenizer_config.json", "chat_template.json", "generation_config.json",
                     "processor_config.json", "preprocessor_config.json", Path.Combine("video_processor", "preprocessor_config.json"), "README.md"])
            Assert.True(File.Exists(Path.Combine(target, file)), $"{file} is missing");
    }

    [Fact]
    public void Run_ForeignNonEmptyDirectory_Exit1WithReason()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Sub("keep.txt"), "mine");
        var stderr = new StringWriter();

        int code = MakeDemoModelCommand.Run([temp.Path], new StringWriter(), stderr);

        Assert.Equal(VerbDispatcher.ExitFailure, code);
        Assert.Contains("not empty", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(temp.Sub("keep.txt")));
    }

    [Fact]
    public void Run_MissingTokenizerFile_Exit1WithPath()
    {
        using var temp = new TempDirectory();
        var stderr = new StringWriter();
        string missing = temp.Sub("missing-tokenizer.json");

        int code = MakeDemoModelCommand.Run([temp.Sub("demo"), "--tokenizer", missing], new StringWriter(), stderr);

        Assert.Equal(VerbDispatcher.ExitFailure, code);
        Assert.Contains(missing, stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Sub("demo")));
    }
}
