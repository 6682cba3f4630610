namespace ManifestGen.PodHarness;

internal static class Cli
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("usage: manifestgen-podharness demo ...");
        return Task.FromResult(2);
    }
}
