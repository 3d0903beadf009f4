using System.Reflection;
using Platform.Modeling.Errors;

namespace Platform.Modeling;

/// <summary>A built-in model: its Hugging Face config.json shipped as an embedded resource.</summary>
public sealed record ModelPreset(string Id, string DisplayName, string Source, string ConfigJson, ModelArchitecture Architecture)
{
    public ParameterBreakdown Parameters { get; } = ParameterCounter.Count(Architecture);
}

/// <summary>The preset catalog. Ids are lowercase, e.g. "deepseek-v3", "llama-3.1-70b".</summary>
public static class ModelPresets
{
    private static readonly (string Id, string Display, string Source)[] Catalog =
    [
        ("deepseek-v3", "DeepSeek-V3 (671B total, 37B active)", "huggingface.co/deepseek-ai/DeepSeek-V3 config.json"),
        ("llama-3.1-8b", "Llama 3.1 8B", "huggingface.co/meta-llama/Llama-3.1-8B config.json"),
        ("llama-3.1-70b", "Llama 3.1 70B", "huggingface.co/meta-llama/Llama-3.1-70B config.json"),
        ("llama-3.1-405b", "Llama 3.1 405B", "huggingface.co/meta-llama/Llama-3.1-405B config.json"),
        ("mixtral-8x7b", "Mixtral 8x7B", "huggingface.co/mistralai/Mixtral-8x7B-v0.1 config.json"),
        ("qwen2.5-72b", "Qwen2.5 72B", "huggingface.co/Qwen/Qwen2.5-72B config.json"),
    ];

    private static readonly Lazy<IReadOnlyDictionary<string, ModelPreset>> Loaded = new(Load);

    public static IReadOnlyCollection<ModelPreset> All => Loaded.Value.Values.ToList();

    public static bool TryGet(string id, out ModelPreset preset) =>
        Loaded.Value.TryGetValue(id.Trim().ToLowerInvariant(), out preset!);

    /// <summary>The preset, or <see cref="NotFoundException"/> naming <paramref name="field"/>.</summary>
    public static ModelPreset Get(string id, string field = "model.preset")
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is empty");
        return TryGet(id, out var p) ? p : throw new NotFoundException(field, "model preset", id);
    }

    private static IReadOnlyDictionary<string, ModelPreset> Load()
    {
        var asm = typeof(ModelPresets).Assembly;
        var result = new Dictionary<string, ModelPreset>(StringComparer.Ordinal);
        foreach (var (id, display, source) in Catalog)
        {
            string json = ReadResource(asm, $"Platform.Modeling.Presets.{id}.json");
            var arch = HfConfigParser.Parse(json, $"preset {id}", id);
            result[id] = new ModelPreset(id, display, source, json, arch);
        }
        return result;
    }

    private static string ReadResource(Assembly asm, string name)
    {
        using var s = asm.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"missing resource {name}");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
