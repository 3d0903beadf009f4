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

    public async Task StreamAsync(ChannelReader<(int Choice, LiveEvent Event)> events, CancellationToken ct)
    {
        var r = http.Response;
        r.ContentType = "text/event-stream";
        r.Headers.CacheControl = "no-cache";
        if (chat)
            foreach (var c in choices)
                await Chunk(new { role = "assistant", content = "" }, c.Index, null, ct);
        await r.Body.FlushAsync(ct);
        var pending = new int[choices.Count];
        try
        {
            while (await events.WaitToReadAsync(ct))
            {
                while (events.TryRead(out var item))
                {
                    var c = choices[item.Choice];
                    int before = c.Generated;
                    Apply(c, item.Event);
                    pending[c.Index] += c.Generated - before;
                    if (!c.Finished) continue;
                    await Flush(c, pending, ct);
                    await Chunk(chat ? new { } : null, c.Index, c.FinishReason, ct);
                }
                foreach (var c in choices) await Flush(c, pending, ct);
                await r.Body.FlushAsync(ct);
            }
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

    private async Task Flush(OpenAiChoice c, int[] pending, CancellationToken ct)
    {
        int n = pending[c.Index];
        if (n == 0) return;
        pending[c.Index] = 0;
        string text = Text(c, c.Generated - n, n);
        await Chunk(chat ? new { content = text } : text, c.Index, null, ct);
    }

    /// <summary>A chunk of one choice: a chat delta, or a completion's text.</summary>
    private Task Chunk(object? deltaOrText, int index, string? finish, CancellationToken ct)
    {
        object choice = chat
            ? new { index, delta = deltaOrText, logprobs = (object?)null, finish_reason = finish }
            : new { index, text = deltaOrText as string ?? "", logprobs = (object?)null, finish_reason = finish };
        return includeUsage
            ? Data(new
            {
                id = _id, @object = Object + (chat ? ".chunk" : ""), created = _created, model,
                choices = new[] { choice }, usage = (object?)null,
            }, ct)
            : Data(new
            {
                id = _id, @object = Object + (chat ? ".chunk" : ""), created = _created, model,
                choices = new[] { choice },
            }, ct);
    }

    private async Task Data(object payload, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(payload);
        var body = http.Response.Body;
        await body.WriteAsync("data: "u8.ToArray(), ct);
        await body.WriteAsync(json, ct);
        await body.WriteAsync("\n\n"u8.ToArray(), ct);
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
