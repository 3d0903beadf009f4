namespace InferenceScheduler.Application.Live;

/// <summary>
/// The text of generated tokens: one word per token from a fixed list, chosen by a seeded generator (SplitMix64 of
/// the seed and the token's index), so the same request and seed always read the same.
/// </summary>
public static class FillerText
{
    private static readonly string[] Words =
    [
        " the", " model", " serves", " tokens", " with", " a", " batch", " of", " requests", " on", " virtual",
        " accelerators", " and", " the", " scheduler", " keeps", " its", " cache", " warm", " while", " prefill",
        " and", " decode", " share", " each", " step", ".", " latency", " stays", " low", " under", " load", ",",
        " throughput", " grows", " as", " blocks", " are", " reused", " across", " prompts", " that", " begin",
        " alike", " in", " time", " for", " every", " stream",
    ];

    public static string Token(ulong seed, int index) => Words[(int)(Mix(seed + (ulong)index) % (ulong)Words.Length)];

    public static string Tokens(ulong seed, int first, int count)
    {
        if (count == 1) return Token(seed, first);
        var sb = new System.Text.StringBuilder(count * 7);
        for (int i = 0; i < count; i++) sb.Append(Token(seed, first + i));
        return sb.ToString();
    }

    /// <summary>A seed for a request from its text and the choice's index.</summary>
    public static ulong SeedOf(string text, long choice)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text) { h ^= c; h *= 1099511628211UL; }
        return Mix(h ^ (ulong)choice);
    }

    /// <summary>A seed for a request from its prompt's token ids and the choice's index.</summary>
    public static ulong SeedOf(IReadOnlyList<int> ids, long choice)
    {
        ulong h = 14695981039346656037UL;
        foreach (int t in ids) { h ^= (uint)t; h *= 1099511628211UL; }
        return Mix(h ^ (ulong)choice);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
