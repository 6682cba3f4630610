using System.Reflection;

namespace ManifestGen.Contracts;

/// <summary>
/// The version both programs print for <c>--version</c>: the package version and, when the build knew it,
/// the source commit (<c>0.1.0+3f2c…</c>), so an image or an installed tool names exactly what it runs.
/// </summary>
public static class ProductVersion
{
    public static string Of(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString(3)
        ?? "unknown";
}
