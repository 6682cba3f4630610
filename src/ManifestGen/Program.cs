using ManifestGen.Cli;

namespace ManifestGen;

internal static class Program
{
    private static int Main(string[] args) =>
        new CliApp(Console.Out, Console.Error, colorOnStderr: !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null).Run(args, Environment.CurrentDirectory);
}
