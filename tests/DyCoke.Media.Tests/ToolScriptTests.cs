// The base of the tests that replace ffprobe/ffmpeg with shell scripts: a staging sandbox, a loopback HTTP server,
// and a temp folder for the scripts and what they record, all removed afterwards.
using Xunit;

namespace DyCoke.Media.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public abstract class ToolScriptTests : IAsyncLifetime
{
    private protected MediaSandbox Sandbox { get; } = new();

    private protected LoopbackHttpServer Server { get; } = new();

    /// <summary>Where the scripts live and write their logs.</summary>
    protected string Tools { get; } = Directory.CreateTempSubdirectory("dycoke-media-tools-").FullName;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Sandbox.Dispose();
        Directory.Delete(Tools, recursive: true);
    }

    /// <summary>An executable shell script named like the tool, with <paramref name="body"/> after the shebang.</summary>
    protected string Script(string name, string body)
    {
        string path = Path.Combine(Tools, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
