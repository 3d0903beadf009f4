using System.Reflection;
using Platform.Modeling.Errors;

namespace Platform.Modeling;

/// <summary>A built-in model: its Hugging Face config.json shipped as an embedded resource.</summary>
public sealed record ModelPreset(string Id, string DisplayName, string Source, string ConfigJson,
    ModelArchitecture Architecture)
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
        // Historical runs used by the training-cost validation; architectures from the papers / model cards.
        ("llama-65b", "LLaMA 65B (Llama 1)", "huggingface.co/huggyllama/llama-65b config.json; LLaMA paper Table 2"),
        ("llama-2-70b", "Llama 2 70B", "huggingface.co/meta-llama/Llama-2-70b-hf config.json"),
        ("opt-175b", "OPT-175B", "OPT paper (arXiv 2205.01068) Table 1; 2-matrix ReLU MLP"),
        ("gpt-3-175b", "GPT-3 175B", "Brown et al. 2020 (arXiv 2005.14165) Table 2.1; 2-matrix GELU MLP"),
        ("bloom-176b", "BLOOM 176B", "huggingface.co/bigscience/bloom config.json; 2-matrix GELU MLP"),
        ("mt-nlg-530b", "Megatron-Turing NLG 530B", "Smith et al. 2022 (arXiv 2201.11990) Sec 2.4"),
        ("palm-540b", "PaLM 540B",
            "Chowdhery et al. 2022 (arXiv 2204.02311) Table 1: SwiGLU, multi-query attention, shared embeddings"),
        ("falcon-180b", "Falcon 180B", "huggingface.co/tiiuae/falcon-180B config.json"),
        ("falcon-40b", "Falcon 40B", "huggingface.co/tiiuae/falcon-40b config.json"),
        ("nemotron-4-340b", "Nemotron-4 340B", "Nemotron-4 340B technical report Table 1; squared-ReLU MLP"),
        ("bloomberggpt-50b", "BloombergGPT 50B", "Wu et al. 2023 (arXiv 2303.17564) Sec 3; BLOOM-style"),
        ("mpt-7b", "MPT-7B", "huggingface.co/mosaicml/mpt-7b config.json"),
        ("dbrx", "DBRX (132B total, 36B active)",
            "huggingface.co/databricks/dbrx-base config.json (ffn_config / attn_config renamed to HF llama terms)"),
    ];

    private static readonly Lazy<IReadOnlyDictionary<string, ModelPreset>> Loaded = new(Load);

    public static IReadOnlyCollection<ModelPreset> All => Loaded.Value.Values.ToList();

    public static bool TryGet(string id, out ModelPreset preset) =>
        Loaded.Value.TryGetValue(id.Trim().ToLowerInvariant(), out preset!);

    /// <summary>The preset, or <see cref="NotFoundException"/> naming <paramref name="field"/>.</summary>
    public static ModelPreset Get(string id, string field = "model.preset")
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is empty");
        return TryGet(id, out var p) ? p
            : throw new NotFoundException(field, "model preset", id,
                Suggestions.Hint(id, Loaded.Value.Keys, "ListModelPresets (GET /api/v1/model-presets)"));
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
        using var s = asm.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"missing resource {name}");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
