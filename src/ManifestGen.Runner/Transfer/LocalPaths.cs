namespace ManifestGen.Runner.Transfer;

/// <summary>Where a host path appears in the pod: under LocalRoot, which is "/" in a real pod.</summary>
public static class LocalPaths
{
    public static string For(string localRoot, string hostPath)
    {
        if (!hostPath.StartsWith('/'))
            throw new RunnerException(RunnerExit.Usage, $"app path '{hostPath}' must be absolute");
        var trimmed = hostPath.TrimEnd('/');
        if (trimmed.Length == 0) trimmed = "/";
        return localRoot == "/" ? trimmed : Path.Join(localRoot.TrimEnd('/'), trimmed);
    }
}
