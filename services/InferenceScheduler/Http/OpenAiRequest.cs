using System.Text;
using System.Text.Json;
using InferenceScheduler.Application.Live;
using Microsoft.AspNetCore.Http;

namespace InferenceScheduler.Http;

/// <summary>An error answered in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
public sealed class OpenAiException(int status, string message, string? param = null, string? code = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
}

/// <summary>One prompt of a request: text, or token ids (/v1/completions only).</summary>
public readonly record struct OpenAiPrompt(string? Text, int[]? TokenIds);

/// <summary>
/// A /v1/completions or /v1/chat/completions body, read and checked: the model id, the prompts (chat messages
/// rendered through a plain role template), <c>max_tokens</c> (or <c>max_completion_tokens</c>), <c>n</c>,
/// <c>stream</c>, <c>stream_options.include_usage</c>, <c>ignore_eos</c> and <c>seed</c>. Bodies are read up to
/// <see cref="MaxBodyBytes"/>. Without <c>ignore_eos</c> (vLLM's default, false) a choice may end early at an end
/// of sequence drawn from its seed (<see cref="Domain.Live.EndOfSequence"/>); other OpenAI fields (temperature,
/// top_p, stop, ...) are accepted and do not change the timing.
/// </summary>
public sealed record OpenAiRequest(string Model, IReadOnlyList<OpenAiPrompt> Prompts, int? MaxTokens, int N,
    bool Stream, bool IncludeUsage, long? Seed, bool IgnoreEos = false)
{
    public const int MaxBodyBytes = 4 << 20;
    public const int MaxPrompts = 16;
    public const int MaxMessages = 4096;

    public static async Task<OpenAiRequest> ReadAsync(HttpRequest http, bool chat, CancellationToken ct)
    {
        if (http.ContentLength > MaxBodyBytes)
            throw new OpenAiException(413, $"the request body is larger than {MaxBodyBytes} bytes");
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await http.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes)
                throw new OpenAiException(413, $"the request body is larger than {MaxBodyBytes} bytes");
            buffer.Write(chunk, 0, n);
        }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)); }
        catch (JsonException) { throw new OpenAiException(400, "the request body is not valid JSON"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new OpenAiException(400, "the request body must be a JSON object");
            string model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()!
                : throw new OpenAiException(400, "model is required (a string: GET /v1/models lists them)", "model");
            var prompts = chat ? [new OpenAiPrompt(Messages(root), null)] : ReadPrompts(root);
            int? maxTokens = Int(root, chat ? "max_completion_tokens" : "max_tokens") ?? Int(root, "max_tokens");
            if (maxTokens is < 1 or > LiveGeneration.MaxOutputTokens)
                throw new OpenAiException(400,
                    $"max_tokens must be between 1 and {LiveGeneration.MaxOutputTokens}", "max_tokens");
            int choices = Int(root, "n") ?? 1;
            if (choices < 1 || choices > LiveGeneration.MaxChoices)
                throw new OpenAiException(400, $"n must be between 1 and {LiveGeneration.MaxChoices}", "n");
            if (choices * prompts.Count > LiveGeneration.MaxChoices)
                throw new OpenAiException(400,
                    $"n x prompts must be at most {LiveGeneration.MaxChoices}", "n");
            bool stream = Bool(root, "stream");
            bool usage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
                && Bool(so, "include_usage");
            bool ignoreEos = Bool(root, "ignore_eos");
            long? seed = root.TryGetProperty("seed", out var s) && s.ValueKind == JsonValueKind.Number
                && s.TryGetInt64(out long sv) ? sv : null;
            return new OpenAiRequest(model, prompts, maxTokens, choices, stream, usage, seed, ignoreEos);
        }
    }

    private static int? Int(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
            throw new OpenAiException(400, $"{name} must be an integer", name);
        return i;
    }

    private static bool Bool(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return false;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new OpenAiException(400, $"{name} must be a boolean", name),
        };
    }

    /// <summary>The prompt of /v1/completions: a string, a list of strings, a list of token ids, or a list of
    /// them.</summary>
    private static List<OpenAiPrompt> ReadPrompts(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out var p))
            throw new OpenAiException(400, "prompt is required", "prompt");
        if (p.ValueKind == JsonValueKind.String) return [new OpenAiPrompt(p.GetString()!, null)];
        if (p.ValueKind != JsonValueKind.Array || p.GetArrayLength() == 0)
            throw new OpenAiException(400, "prompt must be a non-empty string or array", "prompt");
        if (p[0].ValueKind == JsonValueKind.Number) return [new OpenAiPrompt(null, Ids(p))];
        if (p.GetArrayLength() > MaxPrompts)
            throw new OpenAiException(400, $"at most {MaxPrompts} prompts per request", "prompt");
        var list = new List<OpenAiPrompt>();
        foreach (var e in p.EnumerateArray())
            list.Add(e.ValueKind switch
            {
                JsonValueKind.String => new OpenAiPrompt(e.GetString()!, null),
                JsonValueKind.Array when e.GetArrayLength() > 0 => new OpenAiPrompt(null, Ids(e)),
                _ => throw new OpenAiException(400, "each prompt must be a string or a list of token ids", "prompt"),
            });
        return list;
    }

    private static int[] Ids(JsonElement array)
    {
        if (array.GetArrayLength() > LiveGeneration.MaxPromptTokenIds)
            throw new OpenAiException(400,
                $"the prompt has more than {LiveGeneration.MaxPromptTokenIds:N0} token ids", "prompt");
        var ids = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
            ids[i++] = e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= 0
                ? v
                : throw new OpenAiException(400, "token ids must be non-negative integers", "prompt");
        return ids;
    }

    /// <summary>Chat messages rendered as one prompt: "&lt;|role|&gt;\ncontent\n" each, then
    /// "&lt;|assistant|&gt;\n".</summary>
    private static string Messages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var ms) || ms.ValueKind != JsonValueKind.Array)
            throw new OpenAiException(400, "messages is required (a non-empty array)", "messages");
        int count = ms.GetArrayLength();
        if (count == 0) throw new OpenAiException(400, "messages must not be empty", "messages");
        if (count > MaxMessages)
            throw new OpenAiException(400, $"at most {MaxMessages} messages per request", "messages");
        var sb = new StringBuilder();
        foreach (var msg in ms.EnumerateArray())
        {
            if (msg.ValueKind != JsonValueKind.Object || !msg.TryGetProperty("role", out var role)
                || role.ValueKind != JsonValueKind.String)
                throw new OpenAiException(400, "each message needs a role", "messages");
            string r = role.GetString()!;
            if (r is not ("system" or "developer" or "user" or "assistant" or "tool"))
                throw new OpenAiException(400,
                    "a message's role must be system, developer, user, assistant or tool", "messages");
            sb.Append("<|").Append(r).Append("|>\n");
            if (msg.TryGetProperty("content", out var content)) AppendContent(sb, content);
            sb.Append('\n');
            if (sb.Length > LiveGeneration.MaxPromptChars)
                throw new OpenAiException(400,
                    $"the messages have more than {LiveGeneration.MaxPromptChars} characters", "messages");
        }
        return sb.Append("<|assistant|>\n").ToString();
    }

    private static void AppendContent(StringBuilder sb, JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String: sb.Append(content.GetString()); break;
            case JsonValueKind.Null: break;
            case JsonValueKind.Array:
                foreach (var part in content.EnumerateArray())
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t)
                        && t.ValueKind == JsonValueKind.String)
                        sb.Append(t.GetString());
                break;
            default: throw new OpenAiException(400, "a message's content must be a string or parts", "messages");
        }
    }
}
