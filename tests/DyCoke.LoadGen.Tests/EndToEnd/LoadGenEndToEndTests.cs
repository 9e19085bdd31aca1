// The load generator against the real server, in-process on loopback: the demo checkpoint, a small ffmpeg clip read
// through a file: URL, a tiny sweep (concurrency 1 and 2, two requests each, 4 tokens, DyCoke on and off), and the
// JSON and PNG it writes checked for sane numbers.
using System.Diagnostics;
using System.Text.Json;
using DyCoke.LoadGen.Plot;
using DyCoke.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace DyCoke.LoadGen.Tests.EndToEnd;

public sealed class LoadGenEndToEndTests : IAsyncLifetime
{
    private const int MaxTokens = 4;
    private const int Frames = 2;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"dycoke-loadgen-tests-{Guid.NewGuid():N}");
    private WebApplication? _app;
    private string _url = "";

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg",
            ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=1", "-pix_fmt", "yuv420p", "-y", Path.Combine(_root, "clip.mp4")])
            { RedirectStandardError = true })!;
        await ffmpeg.WaitForExitAsync();
        if (ffmpeg.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {await ffmpeg.StandardError.ReadToEndAsync()}");

        _app = ServerApp.Build([
            "--urls", "http://127.0.0.1:0",
            "--Model:CacheDirectory", Path.Combine(_root, "model"),
            "--Model:Device", "cpu",
            "--Scheduler:KvCacheSlots", "16384",
            "--Media:FileRoots:0", _root,
            "--Server:DrainSeconds", "1",
            "--Serilog:MinimumLevel:Default", "Warning"]);
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task RunAsync_TinySweep_JsonAndPngWithSaneNumbers()
    {
        string json = Path.Combine(_root, "out", "sweep.json"), png = Path.Combine(_root, "out", "sweep.png");
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await LoadGenCommand.RunAsync([
            "--url", _url, "--concurrency", "1,2", "--requests-per-level", "2", "--video", Path.Combine(_root, "clip.mp4"),
            "--frames", $"{Frames}", "--max-tokens", $"{MaxTokens}", "--dycoke", "on,off", "--warmup", "0", "--json", json, "--png", png],
            output, error, TestContext.Current.CancellationToken);
        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken));
        var root = doc.RootElement;
        Assert.Equal(ModelLoader.DemoName, root.GetProperty("model").GetString());
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("machine").GetProperty("cores").GetInt32());
        Assert.Equal("--url", root.GetProperty("command_line")[0].GetString());
        var levels = root.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal([(1, "on"), (1, "off"), (2, "on"), (2, "off")],
            levels.Select(l => (l.GetProperty("concurrency").GetInt32(), l.GetProperty("dycoke").GetString()!)));

        foreach (var level in levels)
        {
            Assert.Equal(2, level.GetProperty("requests").GetInt32());
            Assert.Equal(2, level.GetProperty("succeeded").GetInt32());
            Assert.Equal(0, level.GetProperty("failed").GetInt32());
            Assert.Empty(level.GetProperty("errors").EnumerateObject());
            Assert.Equal(MaxTokens * 2, level.GetProperty("output_tokens").GetInt64());
            Assert.Equal(0, level.GetProperty("requests_without_usage").GetInt32());
            Assert.True(level.GetProperty("output_tokens_per_s").GetDouble() > 0);
            Assert.True(level.GetProperty("videos_per_min").GetDouble() > 0);
            var ttft = level.GetProperty("ttft_ms");
            var e2e = level.GetProperty("e2e_ms");
            Assert.Equal(2, ttft.GetProperty("count").GetInt32());
            foreach (string stat in new[] { "min", "p50", "p90", "p99", "max" })
            {
                Assert.True(ttft.GetProperty(stat).GetDouble() > 0, $"ttft {stat}");
                Assert.True(ttft.GetProperty(stat).GetDouble() <= e2e.GetProperty(stat).GetDouble(), $"ttft {stat} > e2e {stat}");
            }
            Assert.True(e2e.GetProperty("max").GetDouble() <= level.GetProperty("duration_s").GetDouble() * 1000 + 1e-6);
            // Frames × 196 pooled patches + one newline per video; DyCoke's merging can only lower it.
            double videoTokens = level.GetProperty("video_tokens_mean").GetDouble();
            if (level.GetProperty("dycoke").GetString() == "off") Assert.Equal(Frames * 196 + 1, videoTokens);
            else Assert.InRange(videoTokens, 1, Frames * 196 + 1);
            Assert.Equal(2 * MaxTokens, level.GetProperty("server_metrics_delta").GetProperty("generation_tokens_total").GetDouble());
        }

        byte[] image = await File.ReadAllBytesAsync(png, TestContext.Current.CancellationToken);
        Assert.True(image.AsSpan(0, 8).SequenceEqual(PngEncoder.Signature));
        Assert.Contains("| 2 | off | 2 / 0 |", output.ToString(), StringComparison.Ordinal);
    }
}
