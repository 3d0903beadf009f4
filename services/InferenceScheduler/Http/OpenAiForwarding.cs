using System.Threading.Channels;
using Grpc.Core;
using InferenceScheduler.Application.Live;
using InferenceScheduler.Domain.Live;
using InferenceScheduler.Grpc;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Http;

/// <summary>
/// An OpenAI request for a deployment another replica runs: each choice is a Generate stream on the owner (over
/// gRPC, with the caller's credentials), read back as the engine's events so the response is written here exactly as
/// for a local deployment. Prompts go as text or as token ids, which the owner counts and keys for its prefix cache
/// exactly as for a request it receives itself.
/// </summary>
internal static class OpenAiForwarding
{
    /// <summary>The choices admitted on the owner and their events; disposing cancels what is still running.</summary>
    internal sealed class Remote(CancellationTokenSource cts) : IDisposable
    {
        public List<OpenAiChoice> Choices { get; } = [];
        public List<ChannelReader<LiveEvent>> Events { get; } = [];
        public List<AsyncServerStreamingCall<GenerateResponse>> Calls { get; } = [];
        public CancellationToken Token => cts.Token;

        public void Dispose()
        {
            cts.Cancel();
            foreach (var c in Calls) c.Dispose();
            cts.Dispose();
        }
    }

    /// <summary>Admits every choice on the owner (each answers Queued first) before anything is answered.</summary>
    public static async Task<Remote> AdmitAsync(HttpContext http, DeploymentLocation d, OpenAiRequest req, bool chat,
        LiveGeneration generation, CancellationToken ct)
    {
        if (d.OwnerGone) throw Unavailable(d);
        var snapshot = d.Snapshot();
        var forwarder = http.RequestServices.GetRequiredService<LiveForwarder>();
        var client = forwarder.Client(d.OwnerAddress);
        var headers = LiveForwarder.Headers(h => http.Request.Headers.TryGetValue(h, out var v) ? v.ToString() : null);
        var remote = new Remote(CancellationTokenSource.CreateLinkedTokenSource(ct));
        try
        {
            foreach (var p in req.Prompts)
            {
                int tokens = p.TokenIds?.Length
                             ?? generation.FromText(snapshot.Tokenizer, p.Text ?? "", "prompt").Tokens;
                int maxTokens = req.MaxTokens ?? OpenAiRoutes.DefaultMaxTokens(snapshot.MaxModelLen, tokens, chat);
                for (int i = 0; i < req.N; i++)
                {
                    int index = remote.Choices.Count;
                    ulong seed = req.Seed is { } s ? (ulong)s + (ulong)index : FillerText.SeedOf(p.Text ?? "", index);
                    var g = new GenerateRequest
                    {
                        Deployment = d.Name, MaxTokens = maxTokens, IgnoreEos = req.IgnoreEos, Seed = (long)seed,
                    };
                    if (p.TokenIds is { } ids) g.PromptTokenIds.AddRange(ids);
                    else g.Prompt = p.Text ?? "";
                    var call = client.Generate(g, headers, cancellationToken: remote.Token);
                    remote.Calls.Add(call);
                    await Admitted(call, d, forwarder, ct);
                    remote.Choices.Add(new OpenAiChoice(index, seed, i == 0 ? tokens : 0));
                    remote.Events.Add(Pump(call, remote.Token));
                }
            }
            return remote;
        }
        catch
        {
            remote.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the owner's first message (the request is queued), mapping a refusal to OpenAI's
    /// status (503 when this replica refused the owner's TLS certificate).</summary>
    private static async Task Admitted(AsyncServerStreamingCall<GenerateResponse> call, DeploymentLocation d,
        LiveForwarder forwarder, CancellationToken ct)
    {
        try
        {
            if (!await call.ResponseStream.MoveNext(ct))
                throw new OpenAiException(502, "the replica running this deployment ended the request unanswered");
        }
        catch (RpcException e) when (forwarder.CertificateRefused(e, "model", d.OwnerAddress) is { } refused)
        {
            throw new OpenAiException(503, refused.Message, "model", "owner_certificate_refused");
        }
        catch (RpcException e)
        {
            throw e.StatusCode switch
            {
                StatusCode.Unavailable => Unavailable(d),
                StatusCode.NotFound => new OpenAiException(404, e.Status.Detail, "model", "model_not_found"),
                StatusCode.ResourceExhausted => new OpenAiException(429, e.Status.Detail, null, "rate_limit_exceeded"),
                StatusCode.FailedPrecondition when e.Status.Detail.Contains("replica at", StringComparison.Ordinal)
                    => new OpenAiException(503, e.Status.Detail, "model", "owner_unavailable"),
                StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange
                    => new OpenAiException(400, e.Status.Detail),
                StatusCode.Unauthenticated => new OpenAiException(401, e.Status.Detail),
                StatusCode.PermissionDenied => new OpenAiException(403, e.Status.Detail),
                _ => new OpenAiException(502, "the replica running this deployment failed the request"),
            };
        }
    }

    /// <summary>The owner's tokens and finish as engine events.</summary>
    private static ChannelReader<LiveEvent> Pump(AsyncServerStreamingCall<GenerateResponse> call,
        CancellationToken ct)
    {
        var events = Channel.CreateUnbounded<LiveEvent>(new UnboundedChannelOptions { SingleReader = true });
        _ = Task.Run(async () =>
        {
            Exception? error = null;
            try
            {
                await foreach (var m in call.ResponseStream.ReadAllAsync(ct))
                    if (ToEvent(m) is { } e) events.Writer.TryWrite(e);
            }
            catch (Exception e) { error = e; }
            events.Writer.TryComplete(error);
        }, CancellationToken.None);
        return events.Reader;
    }

    private static LiveEvent? ToEvent(GenerateResponse m) => m.EventCase switch
    {
        GenerateResponse.EventOneofCase.Tokens => new LiveEvent(LiveEventKind.Tokens, m.Tokens.ElapsedMs / 1e3,
            m.Tokens.Count, m.Tokens.ScheduledMs / 1e3),
        GenerateResponse.EventOneofCase.Finished => new LiveEvent(LiveEventKind.Finished, m.Finished.E2EMs / 1e3,
            Replica: m.Finished.Replica, Outcome: new LiveOutcome(m.Finished.Usage.PromptTokens,
                m.Finished.Usage.CompletionTokens, m.Finished.Usage.CachedTokens, m.Finished.Preemptions,
                m.Finished.QueueMs / 1e3, m.Finished.TtftMs / 1e3, m.Finished.TpotMs / 1e3, m.Finished.E2EMs / 1e3,
                m.Finished.Replica, Cancelled: false)
            { StoppedAtEos = m.Finished.FinishReason == "stop" }),
        _ => null,
    };

    private static OpenAiException Unavailable(DeploymentLocation d) =>
        new(503, LiveOwnership.Unreachable("deployment", d).Message, "model", "owner_unavailable");
}
