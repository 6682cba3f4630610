using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;

namespace ManifestGen.Testing;

/// <summary>A recording HTTP endpoint on 127.0.0.1 (a ping URL, a pushgateway): every request gets 200.</summary>
public sealed class LoopbackHttpServer : IDisposable
{
    public sealed record Request(string Method, string Path, string Body);

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly Task _serve;

    public string BaseUrl { get; }
    public ImmutableArray<Request> Requests => [.. _requests];

    public LoopbackHttpServer()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
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
