// `dycoke-server make-demo-model DIR [--tokenizer PATH] [--seed N]`: argument parsing and reporting around
// DemoModelWriter, which does the work.
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using DyCoke.Model.Demo;

namespace DyCoke.Server.Cli;

/// <summary>The parsed arguments of make-demo-model.</summary>
internal sealed record MakeDemoModelArguments(string Directory, string? TokenizerPath, ulong Seed);

internal static class MakeDemoModelCommand
{
    public const string Verb = "make-demo-model";

    /// <summary>Parses <paramref name="args"/> (the words after the verb), writes the model, returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            stdout.WriteLine(VerbDispatcher.UsageText);
            return VerbDispatcher.ExitOk;
        }
        if (!TryParse(args, out var parsed, out string? problem)) return VerbDispatcher.Usage(stderr, problem);

        DemoModelSummary summary;
        try
        {
            summary = DemoModelWriter.Write(parsed.Directory, new DemoModelOptions { Seed = parsed.Seed, TokenizerPath = parsed.TokenizerPath });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            stderr.WriteLine($"dycoke-server {Verb}: {e.Message}");
            return VerbDispatcher.ExitFailure;
        }

        var text = summary.Config.Text;
        stdout.WriteLine($"Wrote a demo LLaVA-OneVision model to {summary.Directory}");
        stdout.WriteLine($"  {summary.NumTensors} tensors, {summary.NumParameters} parameters (float16), vocabulary {text.VocabSize}, seed {parsed.Seed}");
        stdout.WriteLine("  Its weights are random: its answers mean nothing. Use it for tests and demos only.");
        return VerbDispatcher.ExitOk;
    }

    /// <summary>
    /// DIR is the one positional argument; options take their value as the next word or after '=' (--seed=7).
    /// False, with <paramref name="problem"/> saying why, on a missing DIR, an unknown or repeated option,
    /// a missing value, an extra argument, or a seed that is not an unsigned 64-bit integer.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> args, out MakeDemoModelArguments parsed, [NotNullWhen(false)] out string? problem)
    {
        parsed = new MakeDemoModelArguments("", null, DemoModelWriter.DefaultSeed);
        string? directory = null, tokenizer = null, seedText = null;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                if (directory is not null)
                    return Fail($"unexpected argument '{arg}' (DIR is already '{directory}')", out problem);
                directory = arg;
                continue;
            }
            int eq = arg.IndexOf('=');
            string name = eq < 0 ? arg : arg[..eq];
            string? value = eq < 0 ? null : arg[(eq + 1)..];
            if (name is not ("--tokenizer" or "--seed")) return Fail($"unknown option '{name}'", out problem);
            if (value is null)
            {
                if (i + 1 >= args.Count) return Fail($"{name} needs a value", out problem);
                value = args[++i];
            }
            switch (name)
            {
                case "--tokenizer" when tokenizer is null:
                    tokenizer = value;
                    break;
                case "--seed" when seedText is null:
                    seedText = value;
                    break;
                default:
                    return Fail($"{name} is given twice", out problem);
            }
        }

        if (string.IsNullOrWhiteSpace(directory)) return Fail($"{Verb} needs a directory: {Verb} DIR", out problem);
        if (tokenizer is { Length: 0 }) return Fail("--tokenizer needs a path", out problem);
        ulong seed = DemoModelWriter.DefaultSeed;
        if (seedText is not null && !ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            return Fail($"--seed must be an integer from 0 to {ulong.MaxValue}, not '{seedText}'", out problem);

        parsed = new MakeDemoModelArguments(directory, tokenizer, seed);
        problem = null;
        return true;
    }

    private static bool Fail(string message, [NotNullWhen(false)] out string? problem)
    {
        problem = message;
        return false;
    }
}
