using System.Collections.Concurrent;
using Microsoft.ML.Tokenizers;

namespace InferenceScheduler.Application.Live;

/// <summary>
/// Counts prompt tokens with a tiktoken encoding (Microsoft.ML.Tokenizers) standing in for each model family's own
/// tokenizer: cl100k_base for Llama 3 (whose 128K vocabulary starts from tiktoken's 100K), Qwen 2 (also built on
/// cl100k), Mistral and Mixtral; o200k_base for DeepSeek V2/V3/R1 (a 128K byte-level BPE, closest in size) and any
/// other family. Counts are close to, not identical with, the model's own tokenizer.
/// </summary>
public sealed class PromptTokenizer
{
    public const string Cl100k = "cl100k_base", O200k = "o200k_base";

    private readonly ConcurrentDictionary<string, Lazy<Tokenizer>> _byEncoding = new();

    /// <summary>The encoding that stands in for a model of this Hugging Face <c>model_type</c>.</summary>
    public static string EncodingFor(string modelType)
    {
        string t = modelType.ToLowerInvariant();
        return t.StartsWith("llama", StringComparison.Ordinal) || t.StartsWith("qwen", StringComparison.Ordinal)
            || t.StartsWith("mistral", StringComparison.Ordinal) || t.StartsWith("mixtral", StringComparison.Ordinal)
            ? Cl100k
            : O200k;
    }

    public IReadOnlyList<int> Encode(string encoding, string text) => Get(encoding).EncodeToIds(text);

    private Tokenizer Get(string encoding) => _byEncoding.GetOrAdd(encoding,
        e => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(e))).Value;
}
