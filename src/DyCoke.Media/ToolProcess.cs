// Runs ffprobe/ffmpeg: arguments as an argv array (no shell ever parses them), stdin closed, stdout handed to a reader,
// stderr kept as a bounded tail for diagnostics, and the whole process tree killed and reaped whenever the reader
// fails or the token fires, so no child outlives the request.
using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace DyCoke.Media;

/// <summary>How a tool process ended.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="StandardErrorTail">The last few KiB of what it wrote to stderr.</param>
internal readonly record struct ToolResult(int ExitCode, string StandardErrorTail);

internal static class ToolProcess
{
    private const int StderrTailBytes = 4096;

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="arguments"/>, lets <paramref name="readOutput"/> consume
    /// stdout, then waits for the exit. On an exception from the reader or on cancellation the process tree is killed
    /// and waited for before the exception propagates. Throws <see cref="InvalidOperationException"/> when the
    /// executable cannot be started (a server configuration error, not the user's).
    /// </summary>
    public static async Task<ToolResult> RunAsync(string executable, IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task> readOutput, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        // FFREPORT would make ffmpeg write a log file into the working directory.
        start.Environment.Remove("FFREPORT");

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"could not start '{executable}' (is ffmpeg installed and on PATH?): {e.Message}", e);
        }

        Task<string> stderr = ReadTailAsync(process.StandardError.BaseStream);
        try
        {
            CloseInput(process);
            await readOutput(process.StandardOutput.BaseStream, cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
        }
        catch
        {
            Kill(process);
            await ObserveAsync(stderr);
            throw;
        }
        return new ToolResult(process.ExitCode, await stderr);
    }

    /// <summary>Reads all of stdout into memory, failing if it exceeds <paramref name="maxBytes"/>.</summary>
    public static Func<Stream, CancellationToken, Task> CollectInto(MemoryStream sink, int maxBytes) => async (stdout, ct) =>
    {
        byte[] buffer = new byte[16384];
        int read;
        while ((read = await stdout.ReadAsync(buffer, ct)) > 0)
        {
            if (sink.Length + read > maxBytes) throw new InvalidDataException($"tool output exceeds {maxBytes} bytes");
            sink.Write(buffer, 0, read);
        }
    };

    private static void CloseInput(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool already exited; its exit code and stderr tell why.
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        // Reap it so no zombie or half-dead child is left; after a kill this returns promptly.
        process.WaitForExit();
    }

    private static async Task<string> ReadTailAsync(Stream stderr)
    {
        var tail = new byte[StderrTailBytes];
        int length = 0;
        var buffer = new byte[4096];
        int read;
        while ((read = await stderr.ReadAsync(buffer)) > 0)
        {
            // Keep only the last StderrTailBytes bytes: ffmpeg repeats per-frame errors, the end is what matters.
            if (read >= tail.Length)
            {
                Array.Copy(buffer, read - tail.Length, tail, 0, tail.Length);
                length = tail.Length;
                continue;
            }
            int keep = Math.Min(length, tail.Length - read);
            Array.Copy(tail, length - keep, tail, 0, keep);
            Array.Copy(buffer, 0, tail, keep, read);
            length = keep + read;
        }
        return Encoding.UTF8.GetString(tail, 0, length);
    }

    private static async Task ObserveAsync(Task<string> stderr)
    {
        try
        {
            await stderr;
        }
        catch (IOException)
        {
            // The pipe closes with the killed process; its tail no longer matters.
        }
    }
}
