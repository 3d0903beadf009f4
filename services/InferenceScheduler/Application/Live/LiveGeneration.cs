using InferenceScheduler.Domain.Live;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application.Live;

/// <summary>
/// Admits requests into live deployments for both adapters (gRPC Generate and the OpenAI routes): counts the prompt's
/// tokens with the deployment's tokenizer, keys its 512-token units for the prefix cache, and checks the documented
/// limits before the engine sees it: prompt text at most <see cref="MaxPromptChars"/> characters (token ids at most
/// <see cref="MaxPromptTokenIds"/>), output 1 to
/// <see cref="MaxOutputTokens"/> tokens, prompt + output within the model's context (max_model_len).
/// </summary>
public sealed class LiveGeneration(PromptTokenizer tokenizer)
{
    public const int MaxPromptChars = 1 << 20;
    public const int MaxPromptTokenIds = 1 << 20;
    public const int MaxOutputTokens = 16_384;
    public const int DefaultMaxTokens = 256;
    public const int MaxChoices = 16;

    /// <summary>A prompt ready for the engine: its token count and prefix-cache keys.</summary>
    public readonly record struct Prompt(int Tokens, int[]? Hashes);

    public Prompt FromText(LiveDeploymentEntry d, string text, string field) => FromText(d.Encoding, text, field);

    /// <summary>The prompt counted with the tokenizer <paramref name="encoding"/> (a deployment's).</summary>
    public Prompt FromText(string encoding, string text, string field)
    {
        if (text.Length > MaxPromptChars)
            throw new LimitExceededException(field, $"a prompt has at most {MaxPromptChars:N0} characters",
                text.Length, MaxPromptChars);
        var ids = tokenizer.Encode(encoding, text);
        if (ids.Count == 0) throw new InvalidFieldException(field, "is empty");
        int[] array = [.. ids];
        return new Prompt(array.Length, PromptHashes.Of(array));
    }

    /// <summary>A prompt given as token ids: at most <see cref="MaxPromptTokenIds"/>, each non-negative.</summary>
    public static Prompt FromTokenIds(IReadOnlyList<int> ids, string field)
    {
        CheckTokenIdCount(ids.Count, field);
        if (ids.Count == 0) throw new InvalidFieldException(field, "is empty");
        int[] array = [.. ids];
        if (Array.FindIndex(array, t => t < 0) is var bad and >= 0)
            throw new InvalidFieldException(field, $"token ids are non-negative; id {bad} is {array[bad]}");
        return new Prompt(array.Length, PromptHashes.Of(array));
    }

    public static void CheckTokenIdCount(int count, string field)
    {
        if (count > MaxPromptTokenIds)
            throw new InvalidFieldException(field,
                $"has {count:N0} token ids; a prompt has at most {MaxPromptTokenIds:N0}");
    }

    /// <summary>Admits one request generating <paramref name="maxTokens"/> tokens, or, with an
    /// <paramref name="eosSeed"/> (the request does not ignore EOS), up to its end of sequence drawn from that seed
    /// (<see cref="EndOfSequence"/>).</summary>
    public static LiveRequest Submit(LiveDeploymentEntry d, Prompt prompt, int maxTokens, string promptField,
        string maxTokensField, ulong? eosSeed = null)
    {
        if (maxTokens < 1 || maxTokens > MaxOutputTokens)
            throw new InvalidFieldException(maxTokensField, $"must be between 1 and {MaxOutputTokens:N0}");
        if (prompt.Tokens > d.MaxModelLen)
            throw new InvalidFieldException(promptField,
                $"has {prompt.Tokens} tokens but this model's maximum context length is {d.MaxModelLen} tokens");
        if ((long)prompt.Tokens + maxTokens > d.MaxModelLen)
            throw new InvalidFieldException(maxTokensField,
                $"this model's maximum context length is {d.MaxModelLen} tokens; the prompt has {prompt.Tokens} " +
                $"and {maxTokens} more were requested");
        int? stopAt = eosSeed is { } seed ? EndOfSequence.Length(maxTokens, seed) : null;
        return d.Engine.Submit(prompt.Tokens, prompt.Hashes, maxTokens, stopAt);
    }
}
