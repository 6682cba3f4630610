namespace ManifestGen.PodHarness;

internal static class Program
{
    private static async Task<int> Main(string[] args) => await Cli.RunAsync(args).ConfigureAwait(false);
}
