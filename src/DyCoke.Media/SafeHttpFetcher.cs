// Downloads an http(s) video without becoming a way into the host's network: every hop's URL is checked (scheme,
// allow-list, IP literal), the host is resolved once per connection and the socket dials exactly the addresses that
// passed AddressPolicy (no second lookup, so DNS rebinding cannot slip in), redirects are followed by hand, and the
// body is capped by Content-Length and by a streaming counter. Connect and total time are bounded.
using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace DyCoke.Media;

internal sealed class SafeHttpFetcher : IDisposable
{
    private readonly MediaOptions _options;
    private readonly HttpClient _client;

    public SafeHttpFetcher(MediaOptions options)
    {
        _options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = ConnectAsync,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxResponseHeadersLength = 64,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Streams the body of <paramref name="url"/> into <paramref name="destination"/>. Throws <see cref="MediaException"/>
    /// (BadScheme, DomainNotAllowed, AddressRefused, TooManyRedirects, FetchFailed, TooLarge, Timeout), or
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task DownloadAsync(Uri url, Stream destination, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.DownloadTimeout);
        try
        {
            await DownloadCoreAsync(url, destination, deadline.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // A socket torn down by the caller's cancellation may surface as an IOException; report it as what it is.
            throw new OperationCanceledException("The video download was cancelled.", e, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException
            && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new MediaException(MediaErrorKind.Timeout,
                $"Downloading the video took longer than {_options.DownloadTimeout.TotalSeconds:0.#} s; use a smaller file or a faster host.",
                MediaParams.Url, inner: e);
        }
    }

    private async Task DownloadCoreAsync(Uri url, Stream destination, CancellationToken cancellationToken)
    {
        Uri current = url;
        for (int hop = 0; ; hop++)
        {
            CheckUrl(current, redirected: hop > 0);
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("DyCoke.Server", "1.0"));
            using HttpResponseMessage response = await SendAsync(request, current, cancellationToken);

            if (IsRedirect(response.StatusCode))
            {
                if (hop >= _options.MaxRedirects)
                    throw new MediaException(MediaErrorKind.TooManyRedirects,
                        $"The video URL redirects more than {_options.MaxRedirects} times; link to the final location.", MediaParams.Url);
                Uri location = response.Headers.Location
                    ?? throw new MediaException(MediaErrorKind.FetchFailed,
                        $"The server at {current.IdnHost} answered a redirect without a Location.", MediaParams.Url);
                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }
            if (!response.IsSuccessStatusCode)
                throw new MediaException(MediaErrorKind.FetchFailed,
                    $"The server at {current.IdnHost} answered {(int)response.StatusCode} {response.ReasonPhrase} for the video URL.", MediaParams.Url);

            long? declared = response.Content.Headers.ContentLength;
            if (declared > _options.MaxBytes) throw TooLarge(declared.Value);
            try
            {
                await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
                await CopyBoundedAsync(body, destination, cancellationToken);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw new MediaException(MediaErrorKind.FetchFailed,
                    $"The download from {current.IdnHost} broke off before the end of the video.", MediaParams.Url, e.Message, e);
            }
            return;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is MediaException refused)
        {
            // The connect callback's verdict is the real error; HttpClient only wraps it.
            throw new MediaException(refused.Kind, refused.Message, refused.Param, refused.Diagnostic, e);
        }
        catch (HttpRequestException e)
        {
            throw new MediaException(MediaErrorKind.FetchFailed,
                $"Could not fetch the video from {url.IdnHost}: the connection failed or the answer was not valid HTTP.",
                MediaParams.Url, e.ToString(), e);
        }
    }

    /// <summary>Scheme, allow-list and IP-literal checks for the first URL and every redirect target.</summary>
    private void CheckUrl(Uri url, bool redirected)
    {
        string scheme = url.Scheme;
        if (scheme is not ("http" or "https") || !_options.IsSchemeAllowed(scheme))
        {
            string where = redirected ? "The video URL redirects to" : "The video URL uses";
            throw new MediaException(MediaErrorKind.BadScheme,
                $"{where} a '{scheme}:' URL, which this server does not fetch; use {(_options.IsSchemeAllowed("http") ? "http or https" : "https")}.",
                MediaParams.Url);
        }
        string host = url.IdnHost;
        if (_options.AllowedDomains.Count > 0
            && !_options.AllowedDomains.Any(d => string.Equals(d.TrimEnd('.'), host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)))
        {
            throw new MediaException(MediaErrorKind.DomainNotAllowed,
                $"The host {host} is not on this server's list of allowed media domains.", MediaParams.Url);
        }
        if (AddressPolicy.TryParseLiteral(host, out IPAddress literal))
        {
            string? reason = AddressPolicy.RefusalReason(literal, _options.AllowLoopbackForTests);
            if (reason is not null) throw Refused(host, reason);
        }
    }

    /// <summary>
    /// The only way this client opens sockets: resolve once, refuse if any address is non-public, then dial the
    /// checked addresses themselves.
    /// </summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        string host = context.DnsEndPoint.Host;
        int port = context.DnsEndPoint.Port;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ConnectTimeout);
        try
        {
            IPAddress[] addresses = AddressPolicy.TryParseLiteral(host, out IPAddress literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, deadline.Token);
            if (addresses.Length == 0)
                throw new MediaException(MediaErrorKind.FetchFailed, $"The host {host} has no addresses.", MediaParams.Url);
            foreach (IPAddress address in addresses)
            {
                string? reason = AddressPolicy.RefusalReason(address, _options.AllowLoopbackForTests);
                if (reason is not null) throw Refused(host, reason, $"{host} resolved to {address}");
            }

            SocketException? last = null;
            foreach (IPAddress address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    last = e;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            throw new MediaException(MediaErrorKind.FetchFailed, $"Could not connect to {host}:{port}.", MediaParams.Url, last?.Message, last);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MediaException(MediaErrorKind.Timeout,
                $"Connecting to {host} took longer than {_options.ConnectTimeout.TotalSeconds:0.#} s.", MediaParams.Url, inner: e);
        }
        catch (SocketException e)
        {
            throw new MediaException(MediaErrorKind.FetchFailed, $"Could not resolve the host {host}.", MediaParams.Url, e.Message, e);
        }
    }

    private async Task CopyBoundedAsync(Stream body, Stream destination, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > _options.MaxBytes) throw TooLarge(null);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private MediaException TooLarge(long? declared) => new(MediaErrorKind.TooLarge,
        (declared is long n ? $"The video is {n} bytes" : "The video is larger than allowed")
        + $"; this server accepts at most {_options.MaxBytes} bytes per video.", MediaParams.Url);

    private static MediaException Refused(string host, string reason, string? diagnostic = null) => new(MediaErrorKind.AddressRefused,
        $"The host {host} is or resolves to a {reason} address; this server only fetches media from public internet addresses.",
        MediaParams.Url, diagnostic);

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    public void Dispose() => _client.Dispose();
}
