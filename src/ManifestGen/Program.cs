namespace ManifestGen;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: manifestgen render|check|validate [environment]");
        return 2;
    }
}
