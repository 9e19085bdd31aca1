// file: URLs: only local paths (file:///...), resolved like realpath(3) with every symlink followed, and accepted only
// when the result lies under a configured media root (compared on whole path components). Outside-the-roots is
// decided before existence, so the answer never tells whether a file elsewhere exists. Unix paths (the server runs on
// Linux).
namespace DyCoke.Media;

internal static class FileUrl
{
    private const int MaxSymlinks = 40;

    /// <summary>
    /// The canonical path <paramref name="url"/> names. Throws <see cref="MediaException"/>: FileNotAllowed (no roots),
    /// BadUrl (not a local file URL), FileOutsideRoots, FileNotFound (missing, or not a regular file).
    /// </summary>
    public static string Resolve(string url, IReadOnlyList<string> roots)
    {
        if (roots.Count == 0)
            throw new MediaException(MediaErrorKind.FileNotAllowed,
                "file: URLs are disabled on this server (no media folder is configured); send an https or data: URL.", MediaParams.Url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || !uri.IsFile)
            throw new MediaException(MediaErrorKind.BadUrl, "The file URL is malformed; use file:///absolute/path.", MediaParams.Url);
        if (uri.Host.Length > 0 && !uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            throw new MediaException(MediaErrorKind.BadUrl, "A file URL must name a local path (file:///...), not a host.", MediaParams.Url);
        // AbsolutePath, not LocalPath: LocalPath turns file://localhost/x into a UNC-style "//localhost/x".
        string path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (path.Contains('\0') || !Path.IsPathRooted(path))
            throw new MediaException(MediaErrorKind.BadUrl, "The file URL does not name an absolute path.", MediaParams.Url);

        string real = RealPath(path);
        if (!roots.Any(root => IsUnder(real, RealPath(root))))
            throw new MediaException(MediaErrorKind.FileOutsideRoots,
                "The file is outside the media folders this server may read.", MediaParams.Url, $"{path} resolved to {real}");
        if (!File.Exists(real))
            throw new MediaException(MediaErrorKind.FileNotFound, "The file does not exist in the media folder (or is not a regular file).",
                MediaParams.Url, real);
        return real;
    }

    /// <summary>True when <paramref name="path"/> equals <paramref name="root"/> or lies below it (whole components).</summary>
    public static bool IsUnder(string path, string root)
    {
        string trimmed = root.Length > 1 ? root.TrimEnd('/') : root;
        if (trimmed == "/") return path.StartsWith('/');
        return path.Equals(trimmed, StringComparison.Ordinal)
            || (path.StartsWith(trimmed, StringComparison.Ordinal) && path[trimmed.Length] == '/');
    }

    /// <summary>
    /// <paramref name="path"/> made absolute with every symlink resolved, component by component, the way the kernel
    /// walks it ('..' after a symlink goes to the link target's parent). Components that do not exist are kept as
    /// written; they cannot be links. Throws <see cref="MediaException"/> (FileNotFound) on a symlink loop.
    /// </summary>
    public static string RealPath(string path)
    {
        var pending = new Stack<string>(); // components still to walk, next on top
        PushComponents(pending, Path.GetFullPath(path));
        string current = "/";
        int links = 0;
        while (pending.Count > 0)
        {
            string name = pending.Pop();
            if (name is "" or ".") continue;
            if (name == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            string next = current == "/" ? "/" + name : current + "/" + name;
            string? target = LinkTarget(next);
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxSymlinks)
                throw new MediaException(MediaErrorKind.FileNotFound, "The file path has too many symbolic links.", MediaParams.Url, path);
            if (target.StartsWith('/')) current = "/";
            PushComponents(pending, target);
        }
        return current;
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        string[] parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not a link we may read (missing parent, a file used as a directory, no permission): walk on literally,
            // the existence check after the root check reports it.
            return null;
        }
    }
}
