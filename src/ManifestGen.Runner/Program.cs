namespace ManifestGen.Runner;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: manifestgen-runner backup|maintain|check|init|snapshots|restore");
        return 2;
    }
}
