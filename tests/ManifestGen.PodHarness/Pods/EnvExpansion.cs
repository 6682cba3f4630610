using System.Text;

namespace ManifestGen.PodHarness.Pods;

/// <summary>
/// Kubernetes' <c>$(VAR)</c> expansion in env values, command and args: a defined variable is replaced,
/// <c>$$</c> escapes a dollar, an undefined reference stays as written.
/// </summary>
public static class EnvExpansion
{
    public static string Expand(string input, IReadOnlyDictionary<string, string> vars)
    {
        var sb = new StringBuilder(input.Length);
        var i = 0;
        while (i < input.Length)
        {
            var c = input[i];
            if (c != '$' || i + 1 >= input.Length)
            {
                sb.Append(c);
                i++;
                continue;
            }
            var next = input[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i += 2;
            }
            else if (next == '(')
            {
                var close = input.IndexOf(')', i + 2);
                if (close < 0)
                {
                    sb.Append(input, i, input.Length - i);
                    break;
                }
                var name = input[(i + 2)..close];
                sb.Append(vars.TryGetValue(name, out var value) ? value : input[i..(close + 1)]);
                i = close + 1;
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }
        return sb.ToString();
    }
}
