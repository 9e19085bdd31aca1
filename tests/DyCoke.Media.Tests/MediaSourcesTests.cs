// URL dispatch: explicit schemes only (a bare path is never a file), the scheme allow-list, file: needing roots and
// refusing non-regular files, plus the options check and the error-to-HTTP mapping the API layer relies on.
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class MediaSourcesTests : IDisposable
{
    private readonly MediaSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("video.mp4")]
    [InlineData("./video.mp4")]
    [InlineData("//example.com/v.mp4")]
    [InlineData("")]
    public async Task LoadAsync_BarePathOrRelative_BadUrl(string url)
    {
        var e = await LoadFailsAsync(url);

        Assert.Equal(MediaErrorKind.BadUrl, e.Kind);
        Assert.Contains("bare path", e.Message);
    }

    [Theory]
    [InlineData("ftp://example.com/v.mp4")]
    [InlineData("gopher://example.com/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("C:\\videos\\v.mp4")]
    [InlineData("concat:/a.mp4|/b.mp4")]
    [InlineData("localhost:8080/v.mp4")]
    public async Task LoadAsync_UnknownScheme_BadScheme(string url)
    {
        var e = await LoadFailsAsync(url);

        Assert.Equal(MediaErrorKind.BadScheme, e.Kind);
        Assert.Contains("https://", e.Message);
    }

    [Fact]
    public async Task LoadAsync_DataDisabled_BadScheme()
    {
        var e = await LoadFailsAsync("data:video/mp4;base64,AAAA", o => o with { AllowedSchemes = ["https"] });

        Assert.Equal(MediaErrorKind.BadScheme, e.Kind);
    }

    [Fact]
    public async Task LoadAsync_FileWithoutRoots_FileNotAllowed()
    {
        var e = await LoadFailsAsync("file:///etc/passwd");

        Assert.Equal(MediaErrorKind.FileNotAllowed, e.Kind);
    }

    [Fact]
    public async Task LoadAsync_FifoUnderRoot_RefusedWithoutOpeningIt()
    {
        string root = Directory.CreateTempSubdirectory("dycoke-media-fifo-").FullName;
        try
        {
            string fifo = Path.Combine(root, "pipe.mp4");
            System.Diagnostics.Process.Start("mkfifo", fifo).WaitForExit();
            Assert.True(File.Exists(fifo));

            var e = await LoadFailsAsync("file://" + fifo, o => o with { FileRoots = [root] });

            Assert.Equal(MediaErrorKind.FileNotFound, e.Kind);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task LoadAsync_FileAboveByteCap_TooLarge()
    {
        string root = Directory.CreateTempSubdirectory("dycoke-media-big-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(root, "big.mp4"), new byte[5000]);

            var e = await LoadFailsAsync("file://" + Path.Combine(root, "big.mp4"), o => o with { FileRoots = [root], MaxBytes = 4000 });

            Assert.Equal(MediaErrorKind.TooLarge, e.Kind);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task LoadAsync_SymlinkOutOfRoot_FileOutsideRootsAndNothingRun()
    {
        string root = Directory.CreateTempSubdirectory("dycoke-media-root-").FullName;
        string outside = Directory.CreateTempSubdirectory("dycoke-media-outside-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "secret.mp4"), new byte[100]);
            File.CreateSymbolicLink(Path.Combine(root, "v.mp4"), Path.Combine(outside, "secret.mp4"));

            var e = await LoadFailsAsync("file://" + Path.Combine(root, "v.mp4"), o => o with { FileRoots = [root] });

            Assert.Equal(MediaErrorKind.FileOutsideRoots, e.Kind);
            Assert.DoesNotContain(outside, e.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task LoadAsync_DataUrlAboveCap_TooLargeAndNothingStaged()
    {
        string url = "data:video/mp4;base64," + Convert.ToBase64String(new byte[6000]);

        var e = await LoadFailsAsync(url, o => o with { MaxBytes = 5000 });

        Assert.Equal(MediaErrorKind.TooLarge, e.Kind);
        Assert.Equal(413, e.HttpStatus);
    }

    [Theory]
    [InlineData("https://example.com/v.mp4", "https")]
    [InlineData("HTTP://example.com", "http")]
    [InlineData("data:video/mp4;base64,", "data")]
    [InlineData("file:///x", "file")]
    [InlineData("svn+ssh://x", "svn+ssh")]
    [InlineData("/abs/path:with-colon", null)]
    [InlineData("1http://x", null)]
    [InlineData("no-colon", null)]
    public void SchemeOf_Text_ExplicitSchemeOrNull(string url, string? expected)
    {
        Assert.Equal(expected, MediaSources.SchemeOf(url));
    }

    [Theory]
    [InlineData(MediaErrorKind.AddressRefused, 400, "address_refused")]
    [InlineData(MediaErrorKind.TooLarge, 413, "too_large")]
    [InlineData(MediaErrorKind.UnsupportedDataUrl, 501, "unsupported_data_url")]
    [InlineData(MediaErrorKind.QueueFull, 503, "queue_full")]
    [InlineData(MediaErrorKind.Timeout, 504, "timeout")]
    [InlineData(MediaErrorKind.NoVideoStream, 400, "no_video_stream")]
    public void MediaException_Kind_MapsToStatusAndCode(MediaErrorKind kind, int status, string code)
    {
        Assert.Equal(status, MediaException.StatusOf(kind));
        Assert.Equal(code, MediaException.CodeOf(kind));
    }

    [Theory]
    [InlineData("DefaultFrames")]
    [InlineData("Scheme")]
    [InlineData("FileRoots")]
    [InlineData("Timeout")]
    [InlineData("Containers")]
    public void MediaOptionsValidate_BadSetting_ArgumentExceptionNamingIt(string what)
    {
        MediaOptions options = what switch
        {
            "DefaultFrames" => new MediaOptions { DefaultFrames = 65, MaxFrames = 64 },
            "Scheme" => new MediaOptions { AllowedSchemes = ["gopher"] },
            "FileRoots" => new MediaOptions { FileRoots = ["relative/dir"] },
            "Timeout" => new MediaOptions { DecodeTimeout = TimeSpan.Zero },
            _ => new MediaOptions { AllowedContainers = ["mov", "hls;evil"] },
        };

        var e = Assert.Throws<ArgumentException>(() => new VideoLoader(options));

        Assert.Contains(what, e.Message);
    }

    private async Task<MediaException> LoadFailsAsync(string url, Func<MediaOptions, MediaOptions>? configure = null)
    {
        MediaOptions options = _sandbox.Options();
        if (configure is not null) options = configure(options);
        using var loader = new VideoLoader(options);

        var e = await Assert.ThrowsAsync<MediaException>(() => loader.LoadAsync(new VideoRequest(url), TestContext.Current.CancellationToken));

        Assert.Equal(MediaParams.Url, e.Param);
        _sandbox.AssertClean();
        return e;
    }
}
