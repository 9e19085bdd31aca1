// The bytes of one video on local disk for ffprobe/ffmpeg: either a staged temporary file this object owns and deletes
// on Dispose (downloads, data: payloads), or a file under a media root that it only points at.
namespace DyCoke.Media;

internal sealed class MediaFile : IDisposable
{
    private MediaFile(string path, bool isTemporary)
    {
        Path = path;
        IsTemporary = isTemporary;
    }

    /// <summary>Absolute path without symlinks; passed to ffmpeg as <c>file:PATH</c>.</summary>
    public string Path { get; }

    /// <summary>True when Dispose deletes the file.</summary>
    public bool IsTemporary { get; }

    /// <summary>
    /// Creates an empty file readable only by this user in <paramref name="directory"/>. Its name has no extension,
    /// so ffprobe identifies the container from the content, never from a name an attacker chose.
    /// </summary>
    public static MediaFile CreateTemporary(string directory)
    {
        string path = System.IO.Path.Combine(directory, "dycoke-media-" + Guid.NewGuid().ToString("N"));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        new FileStream(path, options).Dispose();
        return new MediaFile(path, isTemporary: true);
    }

    /// <summary>Points at an existing file that is not ours to delete.</summary>
    public static MediaFile Existing(string path) => new(path, isTemporary: false);

    /// <summary>Opens the temporary file for writing from the start.</summary>
    public FileStream OpenWrite()
    {
        if (!IsTemporary) throw new InvalidOperationException("only a staged temporary file may be written");
        return new FileStream(Path, FileMode.Truncate, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true);
    }

    /// <summary>Deletes the file if it is a temporary one.</summary>
    public void Dispose()
    {
        if (IsTemporary) File.Delete(Path);
    }
}
