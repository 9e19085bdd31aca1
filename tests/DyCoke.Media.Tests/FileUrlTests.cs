// file: URLs under configured roots: symlinks resolved (escapes refused, links within allowed), '..' refused when it
// leaves the root, sibling-prefix directories refused, and outside-the-root decided before existence.
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class FileUrlTests : IDisposable
{
    private readonly string _base = Path.Combine(Path.GetTempPath(), "dycoke-media-files-" + Guid.NewGuid().ToString("N"));
    private readonly string _root;
    private readonly string _outside;

    public FileUrlTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base, "media")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_base, "secret")).FullName;
        Directory.CreateDirectory(Path.Combine(_base, "media2"));
        File.WriteAllText(Path.Combine(_root, "clip.mp4"), "inside");
        File.WriteAllText(Path.Combine(_outside, "passwd"), "outside");
        File.WriteAllText(Path.Combine(_base, "media2", "clip.mp4"), "sibling");
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Fact]
    public void Resolve_FileUnderRoot_ReturnsCanonicalPath()
    {
        string path = FileUrl.Resolve(new Uri(Path.Combine(_root, "clip.mp4")).AbsoluteUri, [_root]);

        Assert.Equal(FileUrl.RealPath(Path.Combine(_root, "clip.mp4")), path);
    }

    [Fact]
    public void Resolve_LocalhostHost_Accepted()
    {
        string path = FileUrl.Resolve("file://localhost" + Path.Combine(_root, "clip.mp4"), [_root]);

        Assert.EndsWith("/media/clip.mp4", path);
    }

    [Fact]
    public void Resolve_OutsideRoot_FileOutsideRoots()
    {
        AssertRefused(MediaErrorKind.FileOutsideRoots, "file://" + Path.Combine(_outside, "passwd"));
    }

    [Fact]
    public void Resolve_DotDotOutOfRoot_FileOutsideRoots()
    {
        AssertRefused(MediaErrorKind.FileOutsideRoots, "file://" + _root + "/../secret/passwd");
        AssertRefused(MediaErrorKind.FileOutsideRoots, "file://" + _root + "/%2e%2e/secret/passwd");
    }

    [Fact]
    public void Resolve_SymlinkPointingOutside_FileOutsideRoots()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "escape.mp4"), Path.Combine(_outside, "passwd"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape-dir"), _outside);

        AssertRefused(MediaErrorKind.FileOutsideRoots, "file://" + Path.Combine(_root, "escape.mp4"));
        AssertRefused(MediaErrorKind.FileOutsideRoots, "file://" + Path.Combine(_root, "escape-dir", "passwd"));
    }

    [Fact]
    public void Resolve_RelativeSymlinkDotDotOutside_FileOutsideRoots()
    {
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        File.CreateSymbolicLink(Path.Combine(_root, "sub", "up.mp4"), "../../secret/passwd");

        AssertRefused(MediaErrorKind.FileOutsideRoots, "file://" + Path.Combine(_root, "sub", "up.mp4"));
    }

    [Fact]
    public void Resolve_SymlinkWithinRoot_Accepted()
    {
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        File.CreateSymbolicLink(Path.Combine(_root, "sub", "alias.mp4"), "../clip.mp4");

        string path = FileUrl.Resolve("file://" + Path.Combine(_root, "sub", "alias.mp4"), [_root]);

        Assert.Equal(FileUrl.RealPath(Path.Combine(_root, "clip.mp4")), path);
    }

    [Fact]
    public void Resolve_RootIsASymlink_ResolvedOnBothSides()
    {
        string linkRoot = Path.Combine(_base, "link-root");
        Directory.CreateSymbolicLink(linkRoot, _root);

        Assert.EndsWith("/media/clip.mp4", FileUrl.Resolve("file://" + Path.Combine(linkRoot, "clip.mp4"), [linkRoot]));
        Assert.EndsWith("/media/clip.mp4", FileUrl.Resolve("file://" + Path.Combine(_root, "clip.mp4"), [linkRoot]));
    }

    [Fact]
    public void Resolve_SiblingWithRootAsPrefix_FileOutsideRoots()
    {
        // "/x/media2/clip.mp4" starts with the string "/x/media" but is not under it.
        AssertRefused(MediaErrorKind.FileOutsideRoots, "file://" + Path.Combine(_base, "media2", "clip.mp4"));
    }

    [Fact]
    public void Resolve_MissingOutsideRoot_OutsideRootsNotNotFound()
    {
        // The answer must not reveal whether a file outside the roots exists.
        AssertRefused(MediaErrorKind.FileOutsideRoots, "file:///nonexistent-dir/nothing.mp4");
    }

    [Fact]
    public void Resolve_MissingUnderRoot_FileNotFound()
    {
        AssertRefused(MediaErrorKind.FileNotFound, "file://" + Path.Combine(_root, "missing.mp4"));
    }

    [Fact]
    public void Resolve_DirectoryUnderRoot_FileNotFound()
    {
        Directory.CreateDirectory(Path.Combine(_root, "folder"));

        AssertRefused(MediaErrorKind.FileNotFound, "file://" + Path.Combine(_root, "folder"));
    }

    [Fact]
    public void Resolve_SymlinkLoop_FileNotFound()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "a"), Path.Combine(_root, "b"));
        File.CreateSymbolicLink(Path.Combine(_root, "b"), Path.Combine(_root, "a"));

        AssertRefused(MediaErrorKind.FileNotFound, "file://" + Path.Combine(_root, "a"));
    }

    [Fact]
    public void Resolve_RemoteHost_BadUrl()
    {
        AssertRefused(MediaErrorKind.BadUrl, "file://fileserver/share/clip.mp4");
    }

    [Fact]
    public void Resolve_NoRootsConfigured_FileNotAllowed()
    {
        var e = Assert.Throws<MediaException>(() => FileUrl.Resolve("file://" + Path.Combine(_root, "clip.mp4"), []));

        Assert.Equal(MediaErrorKind.FileNotAllowed, e.Kind);
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/a/b", "/a/", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/b", "/a", false)]
    [InlineData("/anything", "/", true)]
    public void IsUnder_WholeComponents(string path, string root, bool expected)
    {
        Assert.Equal(expected, FileUrl.IsUnder(path, root));
    }

    private void AssertRefused(MediaErrorKind kind, string url)
    {
        var e = Assert.Throws<MediaException>(() => FileUrl.Resolve(url, [_root]));
        Assert.Equal(kind, e.Kind);
        Assert.Equal(400, e.HttpStatus);
        Assert.DoesNotContain(_outside, e.Message);
    }
}
