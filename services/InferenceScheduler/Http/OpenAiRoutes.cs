using System.Text.Json;
using System.Threading.Channels;
using InferenceScheduler.Application.Live;
using InferenceScheduler.Domain.Live;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Security;

namespace InferenceScheduler.Http;

/// <summary>
/// The OpenAI-compatible HTTP API of live deployments, as vLLM serves it: <c>GET /v1/models</c>,
/// <c>POST /v1/completions</c> and <c>POST /v1/chat/completions</c>, whole or streamed as server-sent events. A thin
/// adapter over <see cref="LiveGeneration"/>: the model id is a deployment's name. With authentication on, listing
/// needs the read scope and generating the write scope (an API key as <c>Authorization: Bearer KEY</c> or
/// <c>x-api-key</c>).
/// </summary>
public static class OpenAiRoutes
{
    public static void MapOpenAiRoutes(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapGet("/models", ListModels).RequireAuthorization(PlatformScopes.ReadPolicy);
        v1.MapGet("/models/{**id}", GetModel).RequireAuthorization(PlatformScopes.ReadPolicy);
        v1.MapPost("/completions", (HttpContext c) => Complete(c, chat: false))
            .RequireAuthorization(PlatformScopes.WritePolicy);
        v1.MapPost("/chat/completions", (HttpContext c) => Complete(c, chat: true))
            .RequireAuthorization(PlatformScopes.WritePolicy);
    }

    /// <summary>The deployments of every replica whose owner is alive.</summary>
    private static IResult ListModels(LiveDeployments deployments) => Results.Json(new
    {
        @object = "list", data = deployments.List().Where(d => !d.OwnerGone).Select(Model).ToArray(),
    });

    private static IResult GetModel(string id, LiveDeployments deployments)
    {
        if (id.Length > 128 || !deployments.TryLocate(id, out var d) || d!.OwnerGone) return Error(UnknownModel(id));
        return Results.Json(Model(d));
    }

    private static object Model(DeploymentLocation d) => new
    {
        id = d.Name, @object = "model",
        created = d.Local?.CreatedUnixSeconds ?? d.Stored!.CreatedAt.ToUnixTimeSeconds(), owned_by = "platform",
        root = d.Name, parent = (string?)null, max_model_len = d.Local?.MaxModelLen ?? d.Snapshot().MaxModelLen,
    };

    private static OpenAiException UnknownModel(string id) => new(404,
        $"The model {PlatformException.Quote(id)} does not exist.", "model", "model_not_found");

    private static async Task Complete(HttpContext http, bool chat)
    {
        var ct = http.RequestAborted;
        var handles = new List<LiveRequest>();
        LiveDeploymentEntry? d = null;
        OpenAiForwarding.Remote? remote = null;
        CancellationTokenRegistration cancelOnAbort = default;
        try
        {
            var req = await OpenAiRequest.ReadAsync(http.Request, chat, ct);
            var deployments = http.RequestServices.GetRequiredService<LiveDeployments>();
            if (req.Model.Length > 128 || !deployments.TryLocate(req.Model, out var location))
                throw UnknownModel(req.Model);
            var generation = http.RequestServices.GetRequiredService<LiveGeneration>();
            List<OpenAiChoice> choices;
            List<ChannelReader<LiveEvent>> events;
            if (location!.Local is { } local)
            {
                d = local;
                choices = Submit(local, req, chat, generation, handles);
                events = [.. handles.Select(h => h.Events)];
                // Once per request rather than on every wait for events: the client gone, the requests are cancelled
                // and their events end.
                cancelOnAbort = ct.UnsafeRegister(_ =>
                {
                    foreach (var h in handles) local.Engine.Cancel(h);
                }, null);
            }
            else
            {
                remote = await OpenAiForwarding.AdmitAsync(http, location, req, chat, generation, ct);
                (choices, events) = (remote.Choices, remote.Events);
            }
            var writer = new OpenAiResponseWriter(http, location.Name, chat, req.IncludeUsage, choices);
            if (req.Stream) await writer.StreamAsync(Merge(events, ct), ct);
            else await writer.WholeAsync(Merge(events, ct), ct);
        }
        catch (OpenAiException e) when (!http.Response.HasStarted) { await Error(e).ExecuteAsync(http); }
        catch (PlatformException e) when (!http.Response.HasStarted) { await Error(Map(e)).ExecuteAsync(http); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            cancelOnAbort.Dispose();
            if (d is not null)
                foreach (var h in handles) d.Engine.Cancel(h);
            remote?.Dispose();
        }
    }

    /// <summary>Admits every choice (n per prompt) before anything is answered, so a refusal is a clean
    /// error.</summary>
    private static List<OpenAiChoice> Submit(LiveDeploymentEntry d, OpenAiRequest req, bool chat,
        LiveGeneration generation, List<LiveRequest> handles)
    {
        var choices = new List<OpenAiChoice>();
        foreach (var p in req.Prompts)
        {
            var prompt = p.TokenIds is { } ids
                ? LiveGeneration.FromTokenIds(ids, "prompt")
                : generation.FromText(d, p.Text ?? "", "prompt");
            int maxTokens = req.MaxTokens ?? DefaultMaxTokens(d.MaxModelLen, prompt.Tokens, chat);
            for (int i = 0; i < req.N; i++)
            {
                int index = choices.Count;
                ulong seed = req.Seed is { } s ? (ulong)s + (ulong)index : FillerText.SeedOf(p.Text ?? "", index);
                var h = LiveGeneration.Submit(d, prompt, maxTokens, "prompt", "max_tokens",
                    req.IgnoreEos ? null : seed);
                handles.Add(h);
                choices.Add(new OpenAiChoice(index, seed, i == 0 ? prompt.Tokens : 0));
            }
        }
        return choices;
    }

    /// <summary>Without max_tokens: 16 for completions (OpenAI's default), otherwise what the context leaves, at most
    /// <see cref="LiveGeneration.DefaultMaxTokens"/>.</summary>
    internal static int DefaultMaxTokens(long maxModelLen, int promptTokens, bool chat) =>
        (int)Math.Max(1, Math.Min(chat ? LiveGeneration.DefaultMaxTokens : 16, maxModelLen - promptTokens));

    /// <summary>The events of every choice on one reader, tagged with the choice's index (one choice: its own
    /// reader, tagged as read).</summary>
    private static ChannelReader<(int Choice, LiveEvent Event)> Merge(List<ChannelReader<LiveEvent>> sources,
        CancellationToken ct)
    {
        if (sources.Count == 1) return new OneChoice(sources[0]);
        var merged = Channel.CreateUnbounded<(int, LiveEvent)>(new UnboundedChannelOptions { SingleReader = true });
        int left = sources.Count;
        for (int i = 0; i < sources.Count; i++)
        {
            int index = i;
            _ = Task.Run(async () =>
            {
                Exception? error = null;
                try
                {
                    await foreach (var e in sources[index].ReadAllAsync(ct))
                        merged.Writer.TryWrite((index, e));
                }
                catch (Exception e) { error = e; }
                if (error is not null) merged.Writer.TryComplete(error);
                else if (Interlocked.Decrement(ref left) == 0) merged.Writer.TryComplete();
            }, CancellationToken.None);
        }
        return merged.Reader;
    }

    private static OpenAiException Map(PlatformException e) => e switch
    {
        LimitExceededException when e.Field == "deployment" => new OpenAiException(429, e.Message, null,
            "rate_limit_exceeded"),
        NotFoundException => new OpenAiException(404, e.Message, e.Field),
        PreconditionFailedException when e.Field == "deployment" => new OpenAiException(503, e.Message, "model",
            "owner_unavailable"),
        _ => new OpenAiException(400, e.Message, e.Field),
    };

    internal static IResult Error(OpenAiException e) => Results.Json(new
    {
        error = new
        {
            message = e.Message,
            type = e.Status switch
            {
                429 => "rate_limit_error",
                >= 500 => "service_unavailable_error",
                _ => "invalid_request_error",
            },
            param = e.Param, code = e.Code ?? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    }, statusCode: e.Status);

    private sealed class OneChoice(ChannelReader<LiveEvent> source) : ChannelReader<(int Choice, LiveEvent Event)>
    {
        public override bool TryRead(out (int Choice, LiveEvent Event) item)
        {
            bool any = source.TryRead(out var e);
            item = (0, e);
            return any;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
            source.WaitToReadAsync(cancellationToken);
    }
}
