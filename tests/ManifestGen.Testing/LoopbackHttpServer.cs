using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ManifestGen.Testing;

/// <summary>
/// A recording HTTP endpoint on 127.0.0.1 (a ping URL, a pushgateway): every request gets 200, after
/// <c>answerDelay</c> (a slow endpoint), and its connection is closed.
/// </summary>
/// <remarks>
/// Plain blocking sockets on a thread of its own: nothing it does waits for the thread pool, which the test
/// process's many parallel tests keep busy (an HttpListener, whose accepts complete on that pool, left a
/// runner's ping unanswered past its 30 s bound on a loaded machine). The port is the kernel's choice,
/// bound once: no other process can take it between a probe and the bind.
/// </remarks>
public sealed class LoopbackHttpServer : IDisposable
{
    public sealed record Request(string Method, string Path, string Body);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly TimeSpan _answerDelay;
    private readonly Thread _serve;
    private volatile bool _stopped;

    public string BaseUrl { get; }
    public ImmutableArray<Request> Requests => [.. _requests];

    public LoopbackHttpServer(TimeSpan answerDelay = default)
    {
        _answerDelay = answerDelay;
        _listener.Start();
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _serve = new Thread(Serve) { IsBackground = true, Name = "loopback-http" };
        _serve.Start();
    }

    private void Serve()
    {
        while (!_stopped)
        {
            Socket client;
            try
            {
                client = _listener.AcceptSocket();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using (client)
            {
                try
                {
                    client.ReceiveTimeout = 30_000;
                    if (Read(client) is { } request) _requests.Enqueue(request);
                    if (_answerDelay > TimeSpan.Zero) Thread.Sleep(_answerDelay);
                    client.Send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
                    client.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                    // The client gave up (its own bound); the next request is served as usual.
                }
            }
        }
    }

    /// <summary>The request line, headers and a Content-Length body (what HttpClient sends); null when the client closed early.</summary>
    private static Request? Read(Socket client)
    {
        var data = new List<byte>();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(data)) < 0)
        {
            var n = client.Receive(buffer);
            if (n == 0) return null;
            data.AddRange(buffer.AsSpan(0, n));
        }
        var head = Encoding.ASCII.GetString([.. data.Take(headerEnd)]).Split("\r\n");
        var requestLine = head[0].Split(' ');
        var length = head.Skip(1).Select(h => h.Split(':', 2))
            .Where(h => h.Length == 2 && h[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(h => int.Parse(h[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var bodyStart = headerEnd + 4;
        while (data.Count - bodyStart < length)
        {
            var n = client.Receive(buffer);
            if (n == 0) return null;
            data.AddRange(buffer.AsSpan(0, n));
        }
        var body = Encoding.UTF8.GetString([.. data.Skip(bodyStart).Take(length)]);
        var path = requestLine.Length > 1 ? new Uri("http://127.0.0.1" + requestLine[1]).AbsolutePath : "";
        return new Request(requestLine[0], path, body);
    }

    private static int IndexOfHeaderEnd(List<byte> data)
    {
        for (var i = 0; i + 3 < data.Count; i++)
            if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') return i;
        return -1;
    }

    public void Dispose()
    {
        _stopped = true;
        _listener.Stop();
        _serve.Join(TimeSpan.FromSeconds(5));
    }
}
