using System.Text;

namespace ManifestGen.Output;

/// <summary>A unified diff (as `diff -u` prints it) of two texts, with three lines of context.</summary>
public static class UnifiedDiff
{
    private const int Context = 3;

    public static string Create(string oldPath, string newPath, string? oldText, string? newText)
    {
        var a = Lines(oldText);
        var b = Lines(newText);
        var ops = Diff(a, b);
        var sb = new StringBuilder();
        sb.Append("--- ").Append(oldText is null ? "/dev/null" : oldPath).Append('\n');
        sb.Append("+++ ").Append(newText is null ? "/dev/null" : newPath).Append('\n');
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Kind == ' ')
            {
                i++;
                continue;
            }
            var start = Math.Max(0, i - Context);
            var end = i;
            // extend the hunk while changes are within 2*Context lines of each other
            while (end < ops.Count)
            {
                if (ops[end].Kind != ' ')
                {
                    end++;
                    continue;
                }
                var next = end;
                while (next < ops.Count && ops[next].Kind == ' ')
                    next++;
                if (next < ops.Count && next - end <= 2 * Context)
                    end = next;
                else
                    break;
            }
            var stop = Math.Min(ops.Count, end + Context);
            var oldStart = ops[start].OldLine;
            var newStart = ops[start].NewLine;
            var oldCount = ops.Skip(start).Take(stop - start).Count(o => o.Kind != '+');
            var newCount = ops.Skip(start).Take(stop - start).Count(o => o.Kind != '-');
            sb.Append("@@ -").Append(Range(oldStart, oldCount)).Append(" +").Append(Range(newStart, newCount)).Append(" @@\n");
            for (var k = start; k < stop; k++)
                sb.Append(ops[k].Kind).Append(ops[k].Text).Append('\n');
            i = stop;
        }
        return sb.ToString();
    }

    private static string Range(int start, int count) => count == 0 ? $"{start - 1},0" : count == 1 ? $"{start}" : $"{start},{count}";

    private static string[] Lines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.TrimEnd('\n').Split('\n');

    private readonly record struct Op(char Kind, string Text, int OldLine, int NewLine);

    /// <summary>Longest-common-subsequence diff; output files are small, so O(n·m) is fine.</summary>
    private static List<Op> Diff(string[] a, string[] b)
    {
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var ops = new List<Op>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                ops.Add(new Op(' ', a[x], x + 1, y + 1));
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                ops.Add(new Op('-', a[x], x + 1, y + 1));
                x++;
            }
            else
            {
                ops.Add(new Op('+', b[y], x + 1, y + 1));
                y++;
            }
        }
        return ops;
    }
}
