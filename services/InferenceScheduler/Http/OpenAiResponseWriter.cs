using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using InferenceScheduler.Application.Live;
using InferenceScheduler.Domain.Live;
using Microsoft.AspNetCore.Http;

namespace InferenceScheduler.Http;

/// <summary>One choice of a response: its seed for the filler text, and what it has generated.</summary>
internal sealed class OpenAiChoice(int index, ulong seed, int promptTokens)
{
    public int Index { get; } = index;
    public ulong Seed { get; } = seed;
    /// <summary>The prompt's tokens, counted on the first choice of each prompt only (usage counts a prompt
    /// once).</summary>
    public int PromptTokens { get; } = promptTokens;
    public int Generated;
    public int CachedTokens;
    public bool Finished;
    /// <summary>"length" (ran to max_tokens) or "stop" (ended at its end of sequence).</summary>
    public string FinishReason = "length";
}

/// <summary>
/// Writes a completion as OpenAI does: one JSON object, or server-sent events (<c>data: {chunk}</c>, a chunk per
/// choice with the tokens that arrived together, a last chunk per choice with its finish_reason, with
/// include_usage a chunk with no choices and the usage, then <c>data: [DONE]</c>).
/// </summary>
internal sealed class OpenAiResponseWriter(HttpContext http, string model, bool chat, bool includeUsage,
    List<OpenAiChoice> choices)
{
    private readonly string _id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private string Object => chat ? "chat.completion" : "text_completion";

    public async Task WholeAsync(ChannelReader<(int Choice, LiveEvent Event)> events, CancellationToken ct)
    {
        await foreach (var (i, e) in events.ReadAllAsync(ct)) Apply(choices[i], e);
        var body = new
        {
            id = _id, @object = Object, created = _created, model,
            choices = choices.Select(c => chat
                ? (object)new
                {
                    index = c.Index, message = new { role = "assistant", content = Text(c, 0, c.Generated) },
                    logprobs = (object?)null, finish_reason = c.FinishReason,
                }
                : new
                {
                    index = c.Index, text = Text(c, 0, c.Generated), logprobs = (object?)null,
                    finish_reason = c.FinishReason,
                }).ToArray(),
            usage = Usage(),
        };
        await Results.Json(body).ExecuteAsync(http);
    }

    /// <summary>
    /// Streams the events as server-sent events. The wait for events takes no cancellation token (a token would be
    /// registered on every wait, once per token): the caller cancels the requests when the client goes away, which
    /// ends their events; chunks are written into the response's pipe and flushed once per batch of events.
    /// </summary>
    public async Task StreamAsync(ChannelReader<(int Choice, LiveEvent Event)> events, CancellationToken ct)
    {
        var r = http.Response;
        r.ContentType = "text/event-stream";
        r.Headers.CacheControl = "no-cache";
        if (chat)
            foreach (var c in choices)
                Chunk(ChunkDelta.Role, null, c.Index, null);
        await r.Body.FlushAsync(ct);
        var pending = new int[choices.Count];
        try
        {
            while (await events.WaitToReadAsync())
            {
                while (events.TryRead(out var item))
                {
                    var c = choices[item.Choice];
                    int before = c.Generated;
                    Apply(c, item.Event);
                    pending[c.Index] += c.Generated - before;
                    if (!c.Finished) continue;
                    Flush(c, pending);
                    Chunk(ChunkDelta.Empty, null, c.Index, c.FinishReason);
                }
                foreach (var c in choices) Flush(c, pending);
                await r.Body.FlushAsync(ct);
            }
            ct.ThrowIfCancellationRequested();
        }
        catch (Platform.Modeling.Errors.PlatformException e)
        {
            await Data(new { error = new { message = e.Message, type = "invalid_request_error" } }, ct);
        }
        if (includeUsage)
            await Data(new
            {
                id = _id, @object = Object + (chat ? ".chunk" : ""), created = _created, model,
                choices = Array.Empty<object>(), usage = Usage(),
            }, ct);
        await r.WriteAsync("data: [DONE]\n\n", ct);
        await r.Body.FlushAsync(ct);
    }

    private static void Apply(OpenAiChoice c, LiveEvent e)
    {
        if (e.Kind == LiveEventKind.Tokens) c.Generated += e.Tokens;
        else if (e.Kind == LiveEventKind.Finished)
        {
            c.Finished = true;
            c.CachedTokens = e.Outcome?.CachedTokens ?? 0;
            c.FinishReason = e.Outcome?.FinishReason ?? "length";
        }
    }

    private void Flush(OpenAiChoice c, int[] pending)
    {
        int n = pending[c.Index];
        if (n == 0) return;
        pending[c.Index] = 0;
        Chunk(ChunkDelta.Content, Text(c, c.Generated - n, n), c.Index, null);
    }

    private enum ChunkDelta { Role, Content, Empty }

    /// <summary>
    /// Writes (unflushed) a chunk of one choice: a chat delta (the assistant role, content, or empty), or a
    /// completion's text; the same JSON the serializer writes for the chunk's object, written straight into the
    /// response's pipe by one reused writer.
    /// </summary>
    private void Chunk(ChunkDelta delta, string? text, int index, string? finish)
    {
        var pipe = http.Response.BodyWriter;
        pipe.Write(DataPrefix);
        if (_json is null) _json = new Utf8JsonWriter(pipe);
        else _json.Reset(pipe);
        var w = _json;
        w.WriteStartObject();
        w.WriteString("id", _id);
        w.WriteString("object", chat ? "chat.completion.chunk" : "text_completion");
        w.WriteNumber("created", _created);
        w.WriteString("model", model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        if (chat)
        {
            w.WriteStartObject("delta");
            if (delta == ChunkDelta.Role)
            {
                w.WriteString("role", "assistant");
                w.WriteString("content", "");
            }
            else if (delta == ChunkDelta.Content) w.WriteString("content", text);
            w.WriteEndObject();
        }
        else w.WriteString("text", text ?? "");
        w.WriteNull("logprobs");
        if (finish is null) w.WriteNull("finish_reason");
        else w.WriteString("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage) w.WriteNull("usage");
        w.WriteEndObject();
        w.Flush();
        pipe.Write(EventEnd);
    }

    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    private static readonly byte[] DataPrefixBytes = "data: "u8.ToArray(), EventEndBytes = "\n\n"u8.ToArray();
    private Utf8JsonWriter? _json;

    private async Task Data(object payload, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(payload);
        var body = http.Response.Body;
        await body.WriteAsync(DataPrefixBytes, ct);
        await body.WriteAsync(json, ct);
        await body.WriteAsync(EventEndBytes, ct);
    }

    private object Usage()
    {
        int prompt = choices.Sum(c => c.PromptTokens), completion = choices.Sum(c => c.Generated);
        return new
        {
            prompt_tokens = prompt, completion_tokens = completion, total_tokens = prompt + completion,
            prompt_tokens_details = new
            {
                cached_tokens = choices.Where(c => c.PromptTokens > 0).Sum(c => c.CachedTokens),
            },
        };
    }

    private static string Text(OpenAiChoice c, int first, int count) =>
        count <= 0 ? "" : FillerText.Tokens(c.Seed, first, count);
}
