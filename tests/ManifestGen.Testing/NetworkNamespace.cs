using System.Collections.Immutable;

namespace ManifestGen.Testing;

/// <summary>
/// A throwaway network namespace with its loopback up: a test host whose traffic never leaves it.
/// <see cref="Prefix"/> runs a command inside (e.g. as <see cref="SshHostOptions.CommandPrefix"/>).
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    public string Name { get; }
    public ImmutableArray<string> Prefix => ["ip", "netns", "exec", Name];

    private NetworkNamespace(string name) => Name = name;

    public static async Task<NetworkNamespace> CreateAsync()
    {
        var ns = new NetworkNamespace("mgtest-" + Guid.NewGuid().ToString("N")[..12]);
        await Proc.CheckedAsync("ip", "netns", "add", ns.Name);
        try
        {
            await Proc.CheckedAsync("ip", "netns", "exec", ns.Name, "ip", "link", "set", "lo", "up");
        }
        catch
        {
            await ns.DisposeAsync();
            throw;
        }
        return ns;
    }

    public async ValueTask DisposeAsync() => await Proc.RunAsync("ip", ["netns", "del", Name], TimeSpan.FromSeconds(30));
}
