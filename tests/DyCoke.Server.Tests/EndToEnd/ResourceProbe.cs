// What a request may leave behind, measured from inside the test process (which also hosts the server): ffmpeg and
// ffprobe children (read from /proc, zombies included), files in the media staging folder, the managed heap and the
// native memory behind CPU tensors.
using DyCoke.Tensors;
using Xunit;

namespace DyCoke.Server.Tests.EndToEnd;

/// <summary>A child process of this test process.</summary>
/// <param name="Pid">Its process id.</param>
/// <param name="Name">Its command name (comm).</param>
/// <param name="State">Its state letter (R, S, Z for a zombie nobody reaped, ...).</param>
public sealed record ChildProcess(int Pid, string Name, char State);

/// <summary>Managed heap and live native tensor bytes at one moment, after a full blocking GC.</summary>
/// <param name="ManagedBytes">GC.GetTotalMemory(true).</param>
/// <param name="NativeTensorBytes">CpuStorage.LiveBytes.</param>
public sealed record MemorySample(long ManagedBytes, long NativeTensorBytes)
{
    public override string ToString() => $"managed {ManagedBytes / 1024.0 / 1024:0.00} MiB, native tensors {NativeTensorBytes} B";
}

internal static class ResourceProbe
{
    private static readonly string[] s_mediaTools = ["ffmpeg", "ffprobe"];

    /// <summary>
    /// ffmpeg/ffprobe processes whose parent is this process (Linux /proc; empty elsewhere). With
    /// <paramref name="reading"/>, only those whose command line names a path under that folder, so a test can watch
    /// its own server's tools while other tests decode in parallel.
    /// </summary>
    public static List<ChildProcess> MediaToolChildren(string? reading = null) =>
        Children().Where(c => s_mediaTools.Contains(c.Name, StringComparer.Ordinal) && (reading is null || CommandLine(c.Pid).Contains(reading, StringComparison.Ordinal)))
            .ToList();

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return ""; // exited meanwhile
        }
    }

    /// <summary>Every child process of this process.</summary>
    public static List<ChildProcess> Children()
    {
        var children = new List<ChildProcess>();
        if (!Directory.Exists("/proc")) return children;
        int self = Environment.ProcessId;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // the process exited while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
            int open = stat.IndexOf('(');
            int close = stat.LastIndexOf(')');
            if (open < 0 || close < open) continue;
            string[] rest = stat[(close + 2)..].Split(' ');
            if (rest.Length < 2 || !int.TryParse(rest[1], out int ppid) || ppid != self) continue;
            children.Add(new ChildProcess(pid, stat[(open + 1)..close], rest[0][0]));
        }
        return children;
    }

    /// <summary>Files and folders under <paramref name="directory"/>, relative names.</summary>
    public static List<string> Leftovers(string directory) =>
        Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(directory, p)).ToList();

    /// <summary>Collects until finalizers ran and the heap is compacted, then samples both counters.</summary>
    public static MemorySample Sample()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return new MemorySample(GC.GetTotalMemory(forceFullCollection: true), CpuStorage.LiveBytes);
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="describe"/> after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(describe());
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
