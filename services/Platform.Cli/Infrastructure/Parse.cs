using System.Globalization;
using System.Reflection;
using Google.Protobuf.Reflection;

namespace Platform.Cli.Infrastructure;

/// <summary>Flag values: counts with suffixes (14.8T, 2k), lists, protobuf enums by short name (fp8,
/// dual-pipe).</summary>
public static class Parse
{
    /// <summary>A count: plain, scientific (1.48e13) or with a k/M/B/G/T suffix; at most 1e18.</summary>
    public static long Count(string flag, string value)
    {
        string v = value.Trim().Replace("_", "").Replace(",", "");
        double mult = 1;
        if (v.Length > 0 && char.IsLetter(v[^1]) && !v.Contains('e', StringComparison.OrdinalIgnoreCase))
        {
            mult = char.ToUpperInvariant(v[^1]) switch
            {
                'K' => 1e3,
                'M' => 1e6,
                'B' or 'G' => 1e9,
                'T' => 1e12,
                'P' => 1e15,
                _ => throw new CliUsageException($"{flag}: '{Connection.Clip(value)}' is not a count " +
                    "(e.g. 4096, 14.8T, 1.48e13; suffixes k, M, B, T)"),
            };
            v = v[..^1];
        }
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ||
            !double.IsFinite(d) || d * mult < 0 || d * mult > 1e18)
            throw new CliUsageException($"{flag}: '{Connection.Clip(value)}' is not a count between 0 and 1e18 " +
                "(e.g. 4096, 14.8T, 1.48e13)");
        return (long)Math.Round(d * mult);
    }

    /// <summary>A finite number.</summary>
    public static double Number(string flag, string value)
    {
        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) &&
            double.IsFinite(d))
            return d;
        throw new CliUsageException($"{flag}: '{Connection.Clip(value)}' is not a number");
    }

    /// <summary>A comma list (at most <paramref name="max"/> items).</summary>
    public static IReadOnlyList<string> List(string flag, string? value, int max = 64)
    {
        var items = (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length > max) throw new CliUsageException($"{flag}: at most {max} values");
        return items;
    }

    public static IReadOnlyList<double> Numbers(string flag, string? value, int max = 64) =>
        [.. List(flag, value, max).Select(v => Number(flag, v))];

    /// <summary>
    /// A protobuf enum value by its short name: "fp8" or "PRECISION_FP8" for Precision.Fp8; '-' and '_' alike.
    /// </summary>
    public static TEnum Enum<TEnum>(string flag, string value) where TEnum : struct, System.Enum
    {
        var names = EnumNames<TEnum>();
        string key = Key(value);
        foreach (var (shortName, full, v) in names)
            if (Key(shortName) == key || Key(full) == key) return v;
        throw new CliUsageException(Suggest.Message(flag, "value", value, [.. names.Select(n => n.Short)]));
    }

    /// <summary>Short names (lower case, prefix removed) of an enum's values other than UNSPECIFIED.</summary>
    public static IReadOnlyList<(string Short, string Full, TEnum Value)> EnumNames<TEnum>()
        where TEnum : struct, System.Enum
    {
        var fields = typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static);
        var full = fields.Select(f => (f, name: f.GetCustomAttribute<OriginalNameAttribute>()?.Name
            ?? f.Name)).ToList();
        string prefix = full.FirstOrDefault(x => x.name.EndsWith("_UNSPECIFIED", StringComparison.Ordinal)).name
            ?.Replace("UNSPECIFIED", "") ?? "";
        return [.. full.Where(x => !x.name.EndsWith("_UNSPECIFIED", StringComparison.Ordinal))
            .Select(x => (x.name[prefix.Length..].ToLowerInvariant().Replace('_', '-'), x.name,
                (TEnum)x.f.GetValue(null)!))];
    }

    /// <summary>The short name of an enum value (e.g. "fp8").</summary>
    public static string Short<TEnum>(TEnum value) where TEnum : struct, System.Enum =>
        EnumNames<TEnum>().FirstOrDefault(n => n.Value.Equals(value)).Short ?? "unspecified";

    private static string Key(string s) => s.Trim().ToLowerInvariant().Replace('-', '_');
}
