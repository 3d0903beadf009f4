namespace Platform.Modeling.Errors;

/// <summary>
/// The "closest known ids" part of a NotFound message: a bounded list of valid names nearest to the one given, so a
/// caller who typed "H100" reads "h100-sxm" in the answer instead of having to list the catalog.
/// </summary>
public static class Suggestions
{
    /// <summary>Most ids a message lists.</summary>
    public const int MaxShown = 10;

    /// <summary>Starts every hint; <see cref="Extract"/> finds it again in a relayed message.</summary>
    public const string Marker = "closest known: ";

    /// <summary>Longest part of the given name compared (the comparison's cost stays bounded).</summary>
    private const int MaxCompared = 64;

    /// <summary>
    /// "closest known: a, b, c (of N; <paramref name="lister"/> lists every one)", the ids nearest to
    /// <paramref name="name"/> first, at most <see cref="MaxShown"/>; null when there are none.
    /// </summary>
    public static string? Hint(string? name, IEnumerable<string> known, string lister)
    {
        var ids = known.Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) return null;
        var shown = Closest(name, ids, MaxShown);
        string of = ids.Count > shown.Count ? $"of {ids.Count}; {lister} lists every one" : $"{lister} lists them";
        return $"{Marker}{string.Join(", ", shown)} ({of})";
    }

    /// <summary>At most <paramref name="max"/> of <paramref name="known"/>, nearest to <paramref name="name"/>
    /// first: ids containing it (or contained in it) before others, then by edit distance, then by id.</summary>
    public static IReadOnlyList<string> Closest(string? name, IReadOnlyCollection<string> known, int max)
    {
        string probe = Normalize(name);
        return known
            .Select(id => (Id: id, Key: Normalize(id)))
            .OrderBy(k => probe.Length > 0 && (k.Key.Contains(probe, StringComparison.Ordinal)
                || probe.Contains(k.Key, StringComparison.Ordinal)) ? 0 : 1)
            .ThenBy(k => Distance(probe, k.Key))
            .ThenBy(k => k.Id, StringComparer.Ordinal)
            .Take(max)
            .Select(k => k.Id)
            .ToList();
    }

    /// <summary>The hint inside a message built with <see cref="Hint"/> (e.g. relayed from another role over gRPC),
    /// or null.</summary>
    public static string? Extract(string? message)
    {
        if (string.IsNullOrEmpty(message)) return null;
        int at = message.LastIndexOf(Marker, StringComparison.Ordinal);
        return at < 0 ? null : PlatformException.Quote(message[at..], 600);
    }

    private static string Normalize(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        var t = s.Trim();
        if (t.Length > MaxCompared) t = t[..MaxCompared];
        return t.ToLowerInvariant().Replace('_', '-').Replace(' ', '-');
    }

    /// <summary>Levenshtein distance (two rows).</summary>
    private static int Distance(string a, string b)
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
