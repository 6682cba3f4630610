using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace ManifestGen.Testing;

/// <summary>
/// A recording HTTP endpoint on 127.0.0.1 (a ping URL, a pushgateway): every request gets 200, after
/// <c>answerDelay</c> (a slow endpoint).
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    public sealed record Request(string Method, string Path, string Body);

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly Task _serve;

    public string BaseUrl { get; }
    public ImmutableArray<Request> Requests => [.. _requests];

    private readonly TimeSpan _answerDelay;

    public LoopbackHttpServer(TimeSpan answerDelay = default)
    {
        _answerDelay = answerDelay;
        // HttpListener cannot bind port 0: a free port is asked for and then bound, and another process on the
        // machine may take it in between, so a port found taken is replaced by another (bounded).
        for (var attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            BaseUrl = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(BaseUrl);
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                _listener.Prefixes.Clear();
            }
        }
        _serve = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext c;
            try
            {
                c = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(c.Request.InputStream);
            _requests.Enqueue(new Request(c.Request.HttpMethod, c.Request.Url!.AbsolutePath, await reader.ReadToEndAsync()));
            if (_answerDelay > TimeSpan.Zero) await Task.Delay(_answerDelay);
            c.Response.StatusCode = 200;
            c.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _serve.Wait(TimeSpan.FromSeconds(5));
        _listener.Close();
    }
}
