using Platform.Modeling.Errors;

namespace Platform.Host;

/// <summary>The roles this process runs, parsed from Platform:Roles ("all" or a comma list).</summary>
public sealed record PlatformRoles(bool Training, bool Inference, bool Emulator)
{
    public static readonly string[] Known = ["all", "training", "inference", "emulator"];

    public static PlatformRoles Parse(string? value)
    {
        var names = (string.IsNullOrWhiteSpace(value) ? "all" : value)
            .Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.ToLowerInvariant()).ToArray();
        foreach (var n in names)
            if (!Known.Contains(n))
                throw new InvalidFieldException("Platform:Roles",
                    $"unknown role '{n}'; use all, training, inference or emulator");
        bool all = names.Contains("all");
        return new PlatformRoles(all || names.Contains("training"), all || names.Contains("inference"),
            all || names.Contains("emulator"));
    }

    public override string ToString() =>
        string.Join(",",
            new[] { Training ? "training" : null, Inference ? "inference" : null, Emulator ? "emulator" : null }
                .OfType<string>());
}
