// A tiny HTTP/1.1 server on 127.0.0.1 for the fetch tests, built on TcpListener so a test controls every byte: with or
// without Content-Length, redirects, error statuses, a body dripped byte by byte (slow loris) or no answer at all.
// One request per connection; it records which paths were asked for.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DyCoke.Media.Tests;

internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, Func<NetworkStream, CancellationToken, Task>> _routes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    public LoopbackHttpServer()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Paths requested so far, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Serves <paramref name="body"/>; without a Content-Length the end is marked by closing the connection.</summary>
    public void Bytes(string path, byte[] body, bool sendLength = true, int status = 200) => _routes[path] = async (stream, ct) =>
    {
        string length = sendLength ? $"Content-Length: {body.Length}\r\n" : "";
        await WriteAsync(stream, $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: video/mp4\r\n{length}Connection: close\r\n\r\n", ct);
        await stream.WriteAsync(body, ct);
    };

    /// <summary>Declares <paramref name="declaredLength"/> bytes but sends only a few (the client must refuse from the header).</summary>
    public void DeclaresLength(string path, long declaredLength) => _routes[path] = async (stream, ct) =>
    {
        await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: {declaredLength}\r\nConnection: close\r\n\r\n", ct);
        await stream.WriteAsync(new byte[1024], ct);
        await Task.Delay(Timeout.Infinite, ct);
    };

    public void Redirect(string path, string location, int status = 302) => _routes[path] = (stream, ct) =>
        WriteAsync(stream, $"HTTP/1.1 {status} Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", ct);

    /// <summary>Sends headers, then one byte every <paramref name="interval"/> forever.</summary>
    public void SlowBody(string path, TimeSpan interval) => _routes[path] = async (stream, ct) =>
    {
        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n", ct);
        while (!ct.IsCancellationRequested)
        {
            await stream.WriteAsync(new byte[1], ct);
            await Task.Delay(interval, ct);
        }
    };

    /// <summary>Accepts the request and never answers.</summary>
    public void Hang(string path) => _routes[path] = (_, ct) => Task.Delay(Timeout.Infinite, ct);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // Stopped. InvalidOperationException ("Not listening") when the loop passed its check just before the stop
            // and called Accept on the stopped listener (failed once in CI).
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                string path = await ReadRequestPathAsync(stream, _stop.Token);
                Requests.Enqueue(path);
                if (_routes.TryGetValue(path, out var respond)) await respond(stream, _stop.Token);
                else await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client went away (refused a body, timed out) or the server stopped.
            }
        }
    }

    private static async Task<string> ReadRequestPathAsync(NetworkStream stream, CancellationToken ct)
    {
        var header = new StringBuilder();
        var one = new byte[1];
        while (!header.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, ct) == 0) throw new IOException("client closed before the request ended");
            header.Append((char)one[0]);
        }
        string requestLine = header.ToString()[..header.ToString().IndexOf('\r')];
        return requestLine.Split(' ')[1];
    }

    private static Task WriteAsync(NetworkStream stream, string text, CancellationToken ct) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask();
}
