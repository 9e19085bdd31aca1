// The executable's verbs: picks the command for args[0] and owns the usage text and exit codes.
// serve (the default, in Program.cs), make-demo-model and selftest.
namespace DyCoke.Server.Cli;

internal static class VerbDispatcher
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public const string UsageText = """
        Usage: dycoke-server [serve] [options]       (serve is the default verb)
               dycoke-server <verb> [arguments]

        Verbs:
          make-demo-model DIR [--tokenizer PATH] [--seed N]
              Write a tiny LLaVA-OneVision checkpoint with random weights, in Hugging Face format, into DIR
              (a new or empty directory, or an earlier demo model). Its answers mean nothing: it is for tests and demos.
              --tokenizer PATH   use this tokenizer.json (or a directory holding one) instead of the built-in
                                 tokenizer; <image> and <video> are added if it lacks them
              --seed N           seed of the random weights, an integer from 0 to 18446744073709551615 (default 0)

          selftest
              On a GPU host: run every compute op on CUDA and on the CPU with the same random inputs (F32, F16,
              BF16) and print max error, NMSE and tolerance per op. Exit 0 all passed, 1 a failure, 3 no GPU.

          serve [--urls URL] [--model DIR] [--device auto|cpu|cuda] [--served-model-name NAME] [--api-key KEY]
              Run the OpenAI-compatible server (POST /v1/chat/completions, GET /v1/models, GET /health). Without
              --model it writes a demo checkpoint (random answers) once into ~/.cache/dycoke/demo-model and serves it.
              Any appsettings.json key can be given as --Section:Key=value or DYCOKE__Section__Key.

        Exit codes: 0 success, 1 failure, 2 bad usage, 3 no GPU (selftest).
        """;

    /// <summary>Runs the verb named by <paramref name="args"/>[0] and returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0) return Usage(stderr, "no verb given");
        string verb = args[0];
        var rest = args.Skip(1).ToArray();
        return verb switch
        {
            MakeDemoModelCommand.Verb => MakeDemoModelCommand.Run(rest, stdout, stderr),
            "-h" or "--help" or "help" => PrintHelp(stdout),
            "selftest" when rest.Length == 0 => DyCoke.Tensors.Diagnostics.CudaSelfTest.Run(stdout),
            "selftest" => Usage(stderr, "selftest takes no arguments"),
            _ => Usage(stderr, $"unknown verb '{verb}'"),
        };
    }

    /// <summary>Reports <paramref name="problem"/> and the usage text on <paramref name="stderr"/>; returns <see cref="ExitUsage"/>.</summary>
    public static int Usage(TextWriter stderr, string problem)
    {
        stderr.WriteLine($"dycoke-server: {problem}");
        stderr.WriteLine();
        stderr.WriteLine(UsageText);
        return ExitUsage;
    }

    private static int PrintHelp(TextWriter stdout)
    {
        stdout.WriteLine(UsageText);
        return ExitOk;
    }
}
