// Per-test environment: a private staging directory and loader options that point at it, plus the two hygiene checks
// every failure test ends with: nothing left in the staging directory, and no ffmpeg/ffprobe child process alive
// (read from /proc, so it sees what the OS sees, not what our code believes).
using Xunit;

namespace DyCoke.Media.Tests;

internal sealed class MediaSandbox : IDisposable
{
    public MediaSandbox()
    {
        TempDirectory = Path.Combine(Path.GetTempPath(), "dycoke-media-stage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(TempDirectory);
    }

    /// <summary>Where the loader stages downloads in this test.</summary>
    public string TempDirectory { get; }

    /// <summary>Options for tests: http allowed, loopback allowed (the local server), staging in <see cref="TempDirectory"/>.</summary>
    public MediaOptions Options(IReadOnlyList<string>? fileRoots = null) => new()
    {
        AllowedSchemes = ["https", "http", "data", "file"],
        AllowLoopbackForTests = true,
        FileRoots = fileRoots ?? [],
        TempDirectory = TempDirectory,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        DownloadTimeout = TimeSpan.FromSeconds(10),
        DecodeTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Asserts the staging directory is empty and no ffmpeg or ffprobe child of this process is running.</summary>
    public void AssertClean()
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(TempDirectory));
        Assert.Empty(FfmpegChildren());
    }

    public void Dispose()
    {
        if (Directory.Exists(TempDirectory)) Directory.Delete(TempDirectory, recursive: true);
    }

    /// <summary>"pid name" of every ffmpeg/ffprobe process whose parent is this test process.</summary>
    public static List<string> FfmpegChildren()
    {
        var found = new List<string>();
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
                continue; // exited while we looked
            }
            // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
            int open = stat.IndexOf('(');
            int close = stat.LastIndexOf(')');
            string name = stat[(open + 1)..close];
            string[] rest = stat[(close + 2)..].Split(' ');
            if (int.Parse(rest[1]) == self && name is "ffmpeg" or "ffprobe") found.Add($"{pid} {name} ({rest[0]})");
        }
        return found;
    }
}
