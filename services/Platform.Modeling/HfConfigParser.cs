using System.Text.Json;
using Platform.Modeling.Errors;

namespace Platform.Modeling;

/// <summary>
/// Reads a Hugging Face config.json (llama, qwen2, qwen2_moe, qwen3, qwen3_moe, mistral, mixtral,
/// deepseek_v2, deepseek_v3) into a <see cref="ModelArchitecture"/>. Errors name the missing or bad field.
/// </summary>
public static class HfConfigParser
{
    public static ModelArchitecture Parse(string json, string field = "model.hf_config_json", string? name = null)
    {
        if (string.IsNullOrWhiteSpace(json)) throw new InvalidFieldException(field, "is empty");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json,
                new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidFieldException(field,
                $"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine})");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidFieldException(field, "must be a JSON object");
            var r = new Reader(root, field);
            string modelType = r.Str("model_type") ?? "llama";
            long hidden = r.Required("hidden_size");
            long layers = r.Long("num_hidden_layers") ?? r.Long("n_layer") ?? r.Required("num_hidden_layers");
            long heads = r.Long("num_attention_heads") ?? r.Long("n_head") ?? r.Required("num_attention_heads");
            long vocab = r.Required("vocab_size");
            long kvHeads = r.Long("num_key_value_heads") ?? r.Long("num_kv_heads") ?? heads;
            // OPT calls the FFN width ffn_dim; BLOOM/GPT-style configs leave it implicit at 4·hidden.
            long intermediate = r.Long("intermediate_size") ?? r.Long("ffn_dim") ?? 0;
            bool gated = r.Bool("gated_mlp") ?? !PlainMlpModelTypes.Contains(modelType);
            if (intermediate == 0 && !gated) intermediate = 4 * hidden;

            MoeConfig? moe = null;
            long routed = r.Long("n_routed_experts") ?? r.Long("num_local_experts") ?? r.Long("num_experts") ?? 0;
            if (routed > 0)
            {
                long expertWidth = r.Long("moe_intermediate_size") ?? 0;
                bool mixtralStyle = expertWidth == 0; // Mixtral: experts are intermediate_size wide, every layer MoE
                if (mixtralStyle) expertWidth = intermediate;
                long shared = r.Long("n_shared_experts") ?? 0;
                long sharedWidth = r.Long("shared_expert_intermediate_size") ?? 0; // qwen2_moe
                if (shared == 0 && sharedWidth > 0 && expertWidth > 0) shared = Math.Max(1, sharedWidth / expertWidth);
                moe = new MoeConfig
                {
                    RoutedExperts = routed,
                    ExpertsPerToken = r.Long("num_experts_per_tok") ?? 0,
                    SharedExperts = shared,
                    ExpertIntermediateSize = expertWidth,
                    FirstKDenseReplace = r.Long("first_k_dense_replace") ?? 0,
                    LayerFrequency = r.Long("moe_layer_freq") ?? r.Long("decoder_sparse_step") ?? 1,
                    NumGroups = r.Long("n_group") ?? 0,
                    TopKGroups = r.Long("topk_group") ?? 0,
                };
                if (moe.ExpertsPerToken <= 0)
                    throw new InvalidFieldException($"{field}.num_experts_per_tok",
                        "missing or not positive for an MoE model");
            }

            MlaConfig? mla = null;
            if (r.Long("kv_lora_rank") is long kvLora and > 0)
            {
                mla = new MlaConfig
                {
                    QLoraRank = r.Long("q_lora_rank") ?? 0,
                    KvLoraRank = kvLora,
                    QkNopeHeadDim = r.Long("qk_nope_head_dim") ?? throw Missing(field, "qk_nope_head_dim"),
                    QkRopeHeadDim = r.Long("qk_rope_head_dim") ?? throw Missing(field, "qk_rope_head_dim"),
                    VHeadDim = r.Long("v_head_dim") ?? throw Missing(field, "v_head_dim"),
                };
            }

            long sliding = r.Long("sliding_window") ?? 0;
            if (r.Bool("use_sliding_window") == false) sliding = 0; // Qwen2 ships a window but disables it
            long maxPos = r.Long("max_position_embeddings") ?? 0;
            if (sliding >= maxPos && maxPos > 0) sliding = 0;

            var arch = new ModelArchitecture
            {
                Name = name ?? r.Str("_name_or_path") ?? r.Str("name") ?? modelType,
                ModelType = modelType,
                HiddenSize = hidden,
                NumLayers = layers,
                NumAttentionHeads = heads,
                NumKeyValueHeads = kvHeads,
                HeadDim = r.Long("head_dim") ?? 0,
                IntermediateSize = intermediate,
                VocabSize = vocab,
                TieWordEmbeddings = r.Bool("tie_word_embeddings") ?? false,
                MaxPositionEmbeddings = maxPos,
                SlidingWindow = sliding,
                AttentionBias = r.Bool("attention_bias") ?? modelType is "qwen2" or "qwen2_moe",
                GatedMlp = gated,
                ParallelBlock = r.Bool("parallel_attn") ?? r.Bool("use_parallel_residual") ?? false,
                Moe = moe,
                Mla = mla,
                NumNextnPredictLayers = r.Long("num_nextn_predict_layers") ?? 0,
            };
            return ArchitectureValidator.Validate(arch, field);
        }
    }

    /// <summary>Model types whose FFN is the plain 2-matrix GELU/ReLU MLP rather than SwiGLU (override with
    /// "gated_mlp").</summary>
    private static readonly HashSet<string> PlainMlpModelTypes =
        new(StringComparer.OrdinalIgnoreCase) { "opt", "bloom", "gpt2", "gpt3", "gpt_neox", "falcon", "mpt",
            "gpt_bigcode", "nemotron", "megatron_gpt" };

    private static InvalidFieldException Missing(string field, string name) => new($"{field}.{name}", "is required");

    private readonly struct Reader(JsonElement root, string field)
    {
        public long Required(string name) => Long(name) ?? throw Missing(field, name);

        public long? Long(string name)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l)) return l;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d == Math.Floor(d))
                return (long)d;
            throw new InvalidFieldException($"{field}.{name}", $"must be an integer (got {v.GetRawText()})");
        }

        public bool? Bool(string name)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new InvalidFieldException($"{field}.{name}", "must be true or false"),
            };
        }

        public string? Str(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
