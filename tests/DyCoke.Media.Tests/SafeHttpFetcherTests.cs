// SSRF and resource-exhaustion tests of the http(s) source, end to end through VideoLoader against a loopback server:
// every refused address class by literal, names resolving to loopback, redirects to private addresses or other
// schemes, redirect loops, allow-list, oversized bodies with and without Content-Length, slow loris, no answer,
// cancellation. Each one also checks that nothing was left staged and no ffmpeg process is running.
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class SafeHttpFetcherTests(TestVideos videos) : IAsyncLifetime
{
    private readonly MediaSandbox _sandbox = new();
    private readonly LoopbackHttpServer _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _sandbox.Dispose();
    }

    [Theory]
    [InlineData("http://10.0.0.1:81/v.mp4")]
    [InlineData("http://172.16.5.4/v.mp4")]
    [InlineData("http://192.168.0.10/v.mp4")]
    [InlineData("http://127.0.0.1:1/v.mp4")]
    [InlineData("http://2130706433/v.mp4")] // 127.0.0.1 as one decimal number
    [InlineData("http://0x7f.1/v.mp4")] // 127.0.0.1 in hex shorthand
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://100.64.1.1/v.mp4")]
    [InlineData("http://0.0.0.0/v.mp4")]
    [InlineData("http://224.0.0.251/v.mp4")]
    [InlineData("http://240.1.2.3/v.mp4")]
    [InlineData("http://[::1]/v.mp4")]
    [InlineData("http://[::]/v.mp4")]
    [InlineData("http://[fd00::1]/v.mp4")]
    [InlineData("http://[fe80::1]/v.mp4")]
    [InlineData("http://[ff02::1]/v.mp4")]
    [InlineData("http://[::ffff:127.0.0.1]/v.mp4")]
    [InlineData("http://[::ffff:a9fe:a9fe]/v.mp4")]
    [InlineData("http://[64:ff9b::a00:1]/v.mp4")]
    [InlineData("https://[2002:c0a8:0101::1]/v.mp4")]
    public async Task LoadAsync_RefusedIpLiteral_AddressRefused(string url)
    {
        var e = await LoadFailsAsync(url, o => o with { AllowLoopbackForTests = false });

        Assert.Equal(MediaErrorKind.AddressRefused, e.Kind);
        Assert.Equal(400, e.HttpStatus);
        Assert.Equal(MediaParams.Url, e.Param);
    }

    [Fact]
    public async Task LoadAsync_NameResolvingToLoopback_AddressRefusedBeforeAnyRequest()
    {
        _server.Bytes("/v.mp4", File.ReadAllBytes(videos.H264.Path));

        var e = await LoadFailsAsync($"http://localhost:{_server.Port}/v.mp4", o => o with { AllowLoopbackForTests = false });

        Assert.Equal(MediaErrorKind.AddressRefused, e.Kind);
        Assert.Contains("loopback", e.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task LoadAsync_RedirectToPrivateAddress_AddressRefused()
    {
        _server.Redirect("/start", "http://10.1.2.3/internal.mp4");

        var e = await LoadFailsAsync(_server.Url("/start"));

        Assert.Equal(MediaErrorKind.AddressRefused, e.Kind);
        Assert.Equal(new[] { "/start" }, _server.Requests);
    }

    [Fact]
    public async Task LoadAsync_RedirectToMetadataService_AddressRefused()
    {
        _server.Redirect("/start", "http://169.254.169.254/latest/meta-data/iam/", status: 307);

        var e = await LoadFailsAsync(_server.Url("/start"));

        Assert.Equal(MediaErrorKind.AddressRefused, e.Kind);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("data:video/mp4;base64,AAAA")]
    [InlineData("ftp://example.com/v.mp4")]
    public async Task LoadAsync_RedirectToOtherScheme_BadScheme(string location)
    {
        _server.Redirect("/start", location);

        var e = await LoadFailsAsync(_server.Url("/start"));

        Assert.Equal(MediaErrorKind.BadScheme, e.Kind);
        Assert.Contains("redirects", e.Message);
    }

    [Fact]
    public async Task LoadAsync_RedirectLoop_TooManyRedirectsAfterMax()
    {
        _server.Redirect("/loop", "/loop");

        var e = await LoadFailsAsync(_server.Url("/loop"), o => o with { MaxRedirects = 3 });

        Assert.Equal(MediaErrorKind.TooManyRedirects, e.Kind);
        Assert.Equal(4, _server.Requests.Count);
    }

    [Fact]
    public async Task LoadAsync_RedirectToAllowedTarget_Followed()
    {
        _server.Bytes("/v.mp4", File.ReadAllBytes(videos.H264.Path));
        _server.Redirect("/a", "/b", status: 301);
        _server.Redirect("/b", _server.Url("/v.mp4"), status: 308);
        using var loader = new VideoLoader(_sandbox.Options());

        VideoFrames frames = await loader.LoadAsync(new VideoRequest(_server.Url("/a")) { NumFrames = 2 }, TestContext.Current.CancellationToken);

        Assert.Equal(2, frames.NumFrames);
        Assert.Equal(new[] { "/a", "/b", "/v.mp4" }, _server.Requests);
        _sandbox.AssertClean();
    }

    [Fact]
    public async Task LoadAsync_HostNotOnAllowList_DomainNotAllowed()
    {
        var e = await LoadFailsAsync(_server.Url("/v.mp4"), o => o with { AllowedDomains = ["videos.example.com"] });

        Assert.Equal(MediaErrorKind.DomainNotAllowed, e.Kind);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task LoadAsync_RedirectOffAllowList_DomainNotAllowed()
    {
        _server.Redirect("/start", $"http://localhost:{_server.Port}/v.mp4");

        var e = await LoadFailsAsync(_server.Url("/start"), o => o with { AllowedDomains = ["127.0.0.1"] });

        Assert.Equal(MediaErrorKind.DomainNotAllowed, e.Kind);
        Assert.Equal(new[] { "/start" }, _server.Requests);
    }

    [Fact]
    public async Task LoadAsync_HttpNotEnabled_BadScheme()
    {
        var e = await LoadFailsAsync(_server.Url("/v.mp4"), o => o with { AllowedSchemes = ["https", "data"] });

        Assert.Equal(MediaErrorKind.BadScheme, e.Kind);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task LoadAsync_ContentLengthAboveCap_TooLargeWithoutReadingTheBody()
    {
        _server.DeclaresLength("/huge.mp4", 10L << 30);

        var e = await LoadFailsAsync(_server.Url("/huge.mp4"), o => o with { MaxBytes = 1 << 20 });

        Assert.Equal(MediaErrorKind.TooLarge, e.Kind);
        Assert.Equal(413, e.HttpStatus);
        Assert.Contains("10737418240 bytes", e.Message);
    }

    [Fact]
    public async Task LoadAsync_NoContentLengthBodyAboveCap_TooLargeFromTheCounter()
    {
        _server.Bytes("/stream.mp4", new byte[3 << 20], sendLength: false);

        var e = await LoadFailsAsync(_server.Url("/stream.mp4"), o => o with { MaxBytes = 1 << 20 });

        Assert.Equal(MediaErrorKind.TooLarge, e.Kind);
    }

    [Fact]
    public async Task LoadAsync_SlowLorisBody_TimeoutAt504()
    {
        _server.SlowBody("/slow.mp4", TimeSpan.FromMilliseconds(100));

        var e = await LoadFailsAsync(_server.Url("/slow.mp4"), o => o with { DownloadTimeout = TimeSpan.FromSeconds(1) });

        Assert.Equal(MediaErrorKind.Timeout, e.Kind);
        Assert.Equal(504, e.HttpStatus);
    }

    [Fact]
    public async Task LoadAsync_ServerNeverAnswers_Timeout()
    {
        _server.Hang("/hang.mp4");

        var e = await LoadFailsAsync(_server.Url("/hang.mp4"), o => o with { DownloadTimeout = TimeSpan.FromSeconds(1) });

        Assert.Equal(MediaErrorKind.Timeout, e.Kind);
    }

    [Fact]
    public async Task LoadAsync_NotFound_FetchFailedNamingTheStatus()
    {
        var e = await LoadFailsAsync(_server.Url("/missing.mp4"));

        Assert.Equal(MediaErrorKind.FetchFailed, e.Kind);
        Assert.Contains("404", e.Message);
    }

    [Fact]
    public async Task LoadAsync_ClosedPort_FetchFailed()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var e = await LoadFailsAsync($"http://127.0.0.1:{port}/v.mp4");

        Assert.Equal(MediaErrorKind.FetchFailed, e.Kind);
    }

    [Fact]
    public async Task LoadAsync_CallerCancelsDuringDownload_CanceledAndClean()
    {
        _server.SlowBody("/slow.mp4", TimeSpan.FromMilliseconds(50));
        using var loader = new VideoLoader(_sandbox.Options());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loader.LoadAsync(new VideoRequest(_server.Url("/slow.mp4")), cancel.Token));

        _sandbox.AssertClean();
        Assert.Equal(0, loader.Pool.Admitted);
    }

    private async Task<MediaException> LoadFailsAsync(string url, Func<MediaOptions, MediaOptions>? configure = null)
    {
        MediaOptions options = _sandbox.Options();
        if (configure is not null) options = configure(options);
        using var loader = new VideoLoader(options);

        var e = await Assert.ThrowsAsync<MediaException>(() => loader.LoadAsync(new VideoRequest(url), TestContext.Current.CancellationToken));

        _sandbox.AssertClean();
        Assert.Equal(0, loader.Pool.Admitted);
        return e;
    }
}
