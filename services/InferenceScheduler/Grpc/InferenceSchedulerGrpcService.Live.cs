using Grpc.Core;
using InferenceScheduler.Application.Live;
using InferenceScheduler.Domain.Live;
using Microsoft.AspNetCore.Authorization;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Security;

namespace InferenceScheduler.Grpc;

public sealed partial class InferenceSchedulerGrpcService
{
    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<CreateDeploymentResponse> CreateDeployment(CreateDeploymentRequest request,
        ServerCallContext context)
    {
        var (d, _) = await live.CreateAsync(request, context.CancellationToken);
        return new CreateDeploymentResponse { Deployment = LiveDeploymentViews.ToProto(d) };
    }

    /// <summary>Every deployment of the platform, read from the store: live figures for this process's, the figures
    /// at creation for those other replicas run (GetDeployment asks their owner).</summary>
    public override Task<ListDeploymentsResponse> ListDeployments(ListDeploymentsRequest request,
        ServerCallContext context)
    {
        var response = new ListDeploymentsResponse();
        response.Deployments.AddRange(live.List().Select(LiveDeploymentViews.ToProto));
        return Task.FromResult(response);
    }

    public override async Task<GetDeploymentResponse> GetDeployment(GetDeploymentRequest request,
        ServerCallContext context)
    {
        LiveDeployments.CheckName(request.Name, "name");
        var d = live.Locate(request.Name, "name");
        if (d.Local is not null || d.OwnerGone || IsForwarded(context))
            return new GetDeploymentResponse { Deployment = LiveDeploymentViews.ToProto(d) };
        try
        {
            var answer = await forwarder.Client(d.OwnerAddress).GetDeploymentAsync(request, Forwarded(context),
                DateTime.UtcNow + LiveForwarder.UnaryDeadline, context.CancellationToken);
            answer.Deployment.Owner = d.OwnerAddress;
            return answer;
        }
        catch (RpcException e) when (forwarder.CertificateRefused(e, "name", d.OwnerAddress) is { } refused)
        {
            throw refused;
        }
        catch (RpcException e) when (LiveForwarder.Unreachable(e, unary: true))
        {
            // The owner does not answer: reported as gone, with what it recorded at creation.
            var shown = LiveDeploymentViews.ToProto(d);
            shown.OwnerGone = true;
            return new GetDeploymentResponse { Deployment = shown };
        }
    }

    /// <summary>Deletes on the owner (forwarded); a deployment whose owner is gone is removed from the store.</summary>
    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<DeleteDeploymentResponse> DeleteDeployment(DeleteDeploymentRequest request,
        ServerCallContext context)
    {
        LiveDeployments.CheckName(request.Name, "name");
        var d = live.Locate(request.Name, "name");
        if (d.Local is { } local) live.DeleteLocal(local);
        else if (d.OwnerGone) live.Forget(d);
        else if (IsForwarded(context)) throw LiveOwnership.Unreachable("name", d);
        else
        {
            try
            {
                await forwarder.Client(d.OwnerAddress).DeleteDeploymentAsync(request, Forwarded(context),
                    DateTime.UtcNow + LiveForwarder.UnaryDeadline, context.CancellationToken);
            }
            catch (RpcException e) when (forwarder.CertificateRefused(e, "name", d.OwnerAddress) is { } refused)
            {
                throw refused;
            }
            catch (RpcException e) when (LiveForwarder.Unreachable(e, unary: true))
            {
                throw LiveOwnership.Unreachable("name", d);
            }
        }
        return new DeleteDeploymentResponse();
    }

    private static bool IsForwarded(ServerCallContext c) =>
        LiveForwarder.IsForwarded(h => c.RequestHeaders.GetValue(h));

    private static Metadata Forwarded(ServerCallContext c) => LiveForwarder.Headers(h => c.RequestHeaders.GetValue(h));

    /// <summary>Relays a Generate stream from the deployment's owner; an owner that is gone or does not answer, or
    /// whose TLS certificate is refused, is a FAILED_PRECONDITION naming it.</summary>
    private async Task ForwardGenerate(GenerateRequest request, DeploymentLocation d,
        IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        if (d.OwnerGone || IsForwarded(context)) throw LiveOwnership.Unreachable("deployment", d);
        var ct = context.CancellationToken;
        using var call = forwarder.Client(d.OwnerAddress).Generate(request, Forwarded(context), context.Deadline,
            ct);
        bool any = false;
        try
        {
            await foreach (var m in call.ResponseStream.ReadAllAsync(ct))
            {
                any = true;
                await responseStream.WriteAsync(m, ct);
            }
        }
        catch (RpcException e) when (!any
                                     && forwarder.CertificateRefused(e, "deployment", d.OwnerAddress) is { } refused)
        {
            throw refused;
        }
        catch (RpcException e) when (!any && LiveForwarder.Unreachable(e))
        {
            throw LiveOwnership.Unreachable("deployment", d);
        }
    }

    /// <summary>
    /// Streams one live request: tokens that arrive while the previous message is being written go out together in
    /// one <see cref="GenerateTokens"/>. The call's cancellation (client gone, deadline) cancels the request.
    /// </summary>
    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream,
        ServerCallContext context)
    {
        var ct = context.CancellationToken;
        // The documented size limit first, before the request is located, forwarded or tokenized.
        LiveGeneration.CheckTokenIdCount(request.PromptTokenIds.Count, "prompt_token_ids");
        LiveDeployments.CheckName(request.Deployment, "deployment");
        CheckPromptGiven(request);
        var location = live.Locate(request.Deployment, "deployment");
        if (location.Local is not { } d)
        {
            await ForwardGenerate(request, location, responseStream, context);
            return;
        }
        var (prompt, promptField) = request.PromptTokenIds.Count > 0
            ? (LiveGeneration.FromTokenIds(request.PromptTokenIds, "prompt_token_ids"), "prompt_token_ids")
            : request.PromptTokens > 0
                ? (new LiveGeneration.Prompt(request.PromptTokens, null), "prompt_tokens")
                : (generation.FromText(d, request.Prompt, "prompt"), "prompt");
        int maxTokens = request.MaxTokens == 0 ? LiveGeneration.DefaultMaxTokens : request.MaxTokens;
        ulong seed = request.HasSeed ? (ulong)request.Seed
            : request.PromptTokenIds.Count > 0 ? FillerText.SeedOf(request.PromptTokenIds, 0)
            : FillerText.SeedOf(request.Prompt, request.PromptTokens);
        // Unset, ignore_eos is true: a Generate stream runs to max_tokens unless the caller asks for an early EOS.
        bool ignoreEos = !request.HasIgnoreEos || request.IgnoreEos;
        var handle = LiveGeneration.Submit(d, prompt, maxTokens, promptField, "max_tokens", ignoreEos ? null : seed);
        await StreamEvents(request, d, handle, seed, responseStream, ct);
    }

    /// <summary>
    /// Writes a request's events until they end. Allocation-free per token: the wait for events takes no cancellation
    /// token (the call's cancellation is registered once, and cancels the request, which ends its events), and one
    /// token message is reused, each write awaited before it is refilled.
    /// </summary>
    private static async Task StreamEvents(GenerateRequest request, LiveDeploymentEntry d, LiveRequest handle,
        ulong seed, IServerStreamWriter<GenerateResponse> responseStream, CancellationToken ct)
    {
        var tokens = new GenerateTokens();
        var tokensMessage = new GenerateResponse { Tokens = tokens };
        int sent = 0, pending = 0;
        double elapsed = 0, scheduled = 0;
        var engine = d.Engine;
        try
        {
            using (ct.UnsafeRegister(_ => engine.Cancel(handle), null))
            {
                var reader = handle.Events;
                while (await reader.WaitToReadAsync())
                {
                    while (reader.TryRead(out var e))
                    {
                        if (e.Kind == LiveEventKind.Tokens)
                        {
                            pending += e.Tokens;
                            (elapsed, scheduled) = (e.Seconds, e.ScheduledSeconds);
                            continue;
                        }
                        await WriteTokens();
                        if (EventMessage(e) is { } m) await responseStream.WriteAsync(m);
                    }
                    await WriteTokens();
                }
            }
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            engine.Cancel(handle);
        }

        async ValueTask WriteTokens()
        {
            if (pending == 0) return;
            tokens.Count = pending;
            tokens.ElapsedMs = elapsed * 1e3;
            tokens.ScheduledMs = scheduled * 1e3;
            if (request.IncludeText) tokens.Text = FillerText.Tokens(seed, sent, pending);
            sent += pending;
            pending = 0;
            await responseStream.WriteAsync(tokensMessage);
        }
    }

    /// <summary>Exactly one of prompt, prompt_tokens and prompt_token_ids.</summary>
    private static void CheckPromptGiven(GenerateRequest request)
    {
        if (request.PromptTokens < 0) throw new InvalidFieldException("prompt_tokens", "must not be negative");
        int given = (request.Prompt.Length > 0 ? 1 : 0) + (request.PromptTokens > 0 ? 1 : 0)
                    + (request.PromptTokenIds.Count > 0 ? 1 : 0);
        if (given == 0)
            throw new InvalidFieldException("prompt", "is required (or prompt_tokens, or prompt_token_ids)");
        if (given > 1)
            throw new InvalidFieldException(request.PromptTokenIds.Count > 0 ? "prompt_token_ids" : "prompt_tokens",
                "give exactly one of prompt, prompt_tokens and prompt_token_ids");
    }

    private static GenerateResponse? EventMessage(LiveEvent e) => e.Kind switch
    {
        LiveEventKind.Queued => new GenerateResponse { Queued = new GenerateQueued { Replica = e.Replica } },
        LiveEventKind.Scheduled => new GenerateResponse
        {
            Scheduled = new GenerateScheduled { QueueMs = e.Seconds * 1e3, Replica = e.Replica },
        },
        LiveEventKind.Preempted => new GenerateResponse
        {
            Preempted = new GeneratePreempted { ElapsedMs = e.Seconds * 1e3 },
        },
        LiveEventKind.Resumed => new GenerateResponse { Resumed = new GenerateResumed { ElapsedMs = e.Seconds * 1e3 } },
        LiveEventKind.Finished when e.Outcome is { } o => new GenerateResponse
        {
            Finished = new GenerateFinished
            {
                Usage = new GenerateUsage
                {
                    PromptTokens = o.PromptTokens, CompletionTokens = o.CompletionTokens,
                    TotalTokens = o.PromptTokens + o.CompletionTokens, CachedTokens = o.CachedTokens,
                },
                TtftMs = o.TtftSeconds * 1e3, TpotMs = o.TpotSeconds * 1e3, E2EMs = o.E2eSeconds * 1e3,
                QueueMs = o.QueueSeconds * 1e3, Preemptions = o.Preemptions, Replica = o.Replica,
                FinishReason = o.FinishReason,
            },
        },
        _ => null,
    };
}
