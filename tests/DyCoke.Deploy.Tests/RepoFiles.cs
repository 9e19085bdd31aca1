// Locates the repository the tests were built from, so they read the committed deployment files.
namespace DyCoke.Deploy.Tests;

/// <summary>Paths inside the repository checkout.</summary>
internal static class RepoFiles
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The directory holding DyCoke.Server.sln.</summary>
    public static string Root => s_root.Value;

    /// <summary>The absolute path of a repository-relative path (forward slashes).</summary>
    public static string Path(string relative) => System.IO.Path.Combine(Root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    /// <summary>The text of a repository file.</summary>
    public static string Read(string relative) => File.ReadAllText(Path(relative));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "DyCoke.Server.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No DyCoke.Server.sln above {AppContext.BaseDirectory}");
    }
}
