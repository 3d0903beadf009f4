namespace Platform.Cli.Infrastructure;

/// <summary>"Did you mean …?" from a list of valid names: case-insensitive match or prefix, else edit
/// distance.</summary>
public static class Suggest
{
    /// <summary>The closest valid names to <paramref name="given"/>, best first (at most <paramref
    /// name="max"/>).</summary>
    public static IReadOnlyList<string> Closest(string given, IEnumerable<string> valid, int max = 3)
    {
        string g = given.Trim().ToLowerInvariant();
        var names = valid.Distinct(StringComparer.Ordinal).ToList();
        var exact = names.Where(n => n.Equals(g, StringComparison.OrdinalIgnoreCase)).ToList();
        if (exact.Count > 0) return exact;
        string Squash(string s) => new([.. s.ToLowerInvariant().Where(char.IsLetterOrDigit)]);
        string sg = Squash(g);
        var prefix = names.Where(n => g.Length > 0 && (n.StartsWith(g, StringComparison.OrdinalIgnoreCase)
                || (sg.Length > 0 && Squash(n).StartsWith(sg, StringComparison.Ordinal))))
            .OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal).Take(max).ToList();
        if (prefix.Count > 0) return prefix;
        var inside = names.Where(n => sg.Length >= 3 && Squash(n).Contains(sg, StringComparison.Ordinal))
            .OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal).Take(max).ToList();
        if (inside.Count > 0) return inside;
        int limit = Math.Max(2, g.Length / 3);
        return names.Select(n => (n, d: Distance(g, n.ToLowerInvariant())))
            .Where(x => x.d <= limit).OrderBy(x => x.d).ThenBy(x => x.n, StringComparer.Ordinal)
            .Take(max).Select(x => x.n).ToList();
    }

    /// <summary>A message naming the flag, the bad value, the suggestions and the valid values.</summary>
    public static string Message(string flag, string what, string given, IReadOnlyCollection<string> valid)
    {
        var close = Closest(given, valid);
        string msg = $"{flag}: no {what} '{Connection.Clip(given)}'.";
        if (close.Count > 0) msg += $" Did you mean {string.Join(" or ", close)}?";
        var shown = valid.Take(40).ToList();
        msg += $" Valid: {string.Join(", ", shown)}{(valid.Count > shown.Count ? ", …" : "")}.";
        return msg;
    }

    /// <summary>Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
