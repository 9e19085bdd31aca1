// The PyTorch side of the model benchmark: bench/torch_model.py as a child process that loads the checkpoint once and
// then runs one stage request per stdin line, so the C# verb can alternate its reps with torch's under the same load.
using System.Diagnostics;
using System.Text.Json;

namespace DyCoke.Bench;

/// <summary>A running <c>bench/torch_model.py</c> worker; dispose to stop it.</summary>
internal sealed class TorchModelWorker : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private TorchModelWorker(Process process, string version, int threads, double loadSeconds)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        Version = version;
        Threads = threads;
        LoadSeconds = loadSeconds;
    }

    public string Version { get; }

    /// <summary>torch.get_num_threads() after the worker set it.</summary>
    public int Threads { get; }

    /// <summary>Seconds the worker spent reading the checkpoint and widening it to F32.</summary>
    public double LoadSeconds { get; }

    /// <summary>Starts the worker and waits until it has loaded the checkpoint; null (with the reason printed) when
    /// there is no /usr/bin/python3, no script, or the worker fails to start.</summary>
    public static TorchModelWorker? Start(string script, string checkpoint, int threads, int slots)
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            Console.WriteLine("PyTorch baseline skipped: /usr/bin/python3 not found");
            return null;
        }
        var psi = new ProcessStartInfo("/usr/bin/python3", [script, "--checkpoint", checkpoint, "--threads", $"{threads}", "--slots", $"{slots}"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(psi)!;
        string? line = process.StandardOutput.ReadLine();
        if (line is null)
        {
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Console.WriteLine($"PyTorch baseline failed to start (exit {process.ExitCode}): {error.Trim()}");
            process.Dispose();
            return null;
        }
        using var ready = JsonDocument.Parse(line);
        var root = ready.RootElement;
        return new TorchModelWorker(process, root.GetProperty("torch").GetString() ?? "?", root.GetProperty("threads").GetInt32(),
            root.GetProperty("load_s").GetDouble());
    }

    /// <summary>Runs <paramref name="warmup"/> untimed then <paramref name="reps"/> timed calls of a stage; returns the
    /// timed samples in milliseconds.</summary>
    /// <exception cref="InvalidOperationException">The worker died (its stderr is in the message).</exception>
    public double[] Run(string stage, int tokens, int warmup, int reps)
    {
        _process.StandardInput.WriteLine($"{stage} {tokens} {warmup} {reps}");
        _process.StandardInput.Flush();
        string? line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit();
            throw new InvalidOperationException($"the PyTorch worker exited ({_process.ExitCode}): {_stderr.Result.Trim()}");
        }
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("samples_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
                if (!_process.WaitForExit(30_000)) _process.Kill();
            }
        }
        catch (IOException)
        {
            // The worker already closed its end; nothing left to stop.
        }
        _process.Dispose();
    }
}
