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
        var (entry, _) = await live.CreateAsync(request, context.CancellationToken);
        return new CreateDeploymentResponse { Deployment = ToProto(entry) };
    }

    public override Task<ListDeploymentsResponse> ListDeployments(ListDeploymentsRequest request,
        ServerCallContext context)
    {
        var response = new ListDeploymentsResponse();
        response.Deployments.AddRange(live.List().Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<GetDeploymentResponse> GetDeployment(GetDeploymentRequest request, ServerCallContext context)
    {
        LiveDeployments.CheckName(request.Name, "name");
        return Task.FromResult(new GetDeploymentResponse { Deployment = ToProto(live.Get(request.Name, "name")) });
    }

    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override Task<DeleteDeploymentResponse> DeleteDeployment(DeleteDeploymentRequest request,
        ServerCallContext context)
    {
        LiveDeployments.CheckName(request.Name, "name");
        live.Delete(request.Name, "name");
        return Task.FromResult(new DeleteDeploymentResponse());
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
        LiveDeployments.CheckName(request.Deployment, "deployment");
        var d = live.Get(request.Deployment, "deployment");
        if (request.PromptTokens < 0) throw new InvalidFieldException("prompt_tokens", "must not be negative");
        if (request.Prompt.Length > 0 && request.PromptTokens > 0)
            throw new InvalidFieldException("prompt_tokens", "give prompt or prompt_tokens, not both");
        var prompt = request.PromptTokens > 0
            ? new LiveGeneration.Prompt(request.PromptTokens, null)
            : request.Prompt.Length > 0
                ? generation.FromText(d, request.Prompt, "prompt")
                : throw new InvalidFieldException("prompt", "is required (or prompt_tokens)");
        int maxTokens = request.MaxTokens == 0 ? LiveGeneration.DefaultMaxTokens : request.MaxTokens;
        var handle = LiveGeneration.Submit(d, prompt, maxTokens, request.PromptTokens > 0 ? "prompt_tokens" : "prompt",
            "max_tokens");
        ulong seed = FillerText.SeedOf(request.Prompt, request.PromptTokens);
        int sent = 0;
        try
        {
            var reader = handle.Events;
            while (await reader.WaitToReadAsync(ct))
            {
                GenerateTokens? tokens = null;
                while (reader.TryRead(out var e))
                {
                    if (e.Kind == LiveEventKind.Tokens)
                    {
                        tokens ??= new GenerateTokens();
                        tokens.Count += e.Tokens;
                        tokens.ElapsedMs = e.Seconds * 1e3;
                        tokens.ScheduledMs = e.ScheduledSeconds * 1e3;
                        continue;
                    }
                    if (tokens is not null) sent += await WriteTokens(tokens);
                    tokens = null;
                    if (EventMessage(e) is { } m) await responseStream.WriteAsync(m, ct);
                }
                if (tokens is not null) sent += await WriteTokens(tokens);
            }
        }
        finally
        {
            d.Engine.Cancel(handle);
        }

        async Task<int> WriteTokens(GenerateTokens t)
        {
            if (request.IncludeText) t.Text = FillerText.Tokens(seed, sent, t.Count);
            await responseStream.WriteAsync(new GenerateResponse { Tokens = t }, ct);
            return t.Count;
        }
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
                FinishReason = "length",
            },
        },
        _ => null,
    };

    internal static LiveDeployment ToProto(LiveDeploymentEntry e)
    {
        var s = e.Engine.Stats();
        var d = new LiveDeployment
        {
            Name = e.Name, Model = e.ModelName, Deployment = e.Request.Deployment, TimeScale = e.Request.TimeScale,
            Tokenizer = e.Encoding, MaxModelLen = e.MaxModelLen, KvCacheTokensPerReplica = e.Engine.KvTokensPerReplica,
            MaxRequestsInFlight = e.Engine.MaxOutstanding,
            Stats = new LiveDeploymentStats
            {
                Waiting = s.Waiting, Running = s.Running, Preemptions = s.Preemptions, KvCacheUsage = s.KvCacheUsage,
                PrefixCacheHitRate = s.PrefixCacheHitRate, GenerationTokensPerSecond = s.GenerationTokensPerSecond,
                PromptTokens = s.PromptTokens, GenerationTokens = s.GenerationTokens,
                CompletedRequests = s.Completed, CancelledRequests = s.Cancelled, Steps = s.Steps,
                SchedulerSeconds = s.SchedulerSeconds, ScheduledRequestSteps = s.ScheduledRequestSteps,
                LateStepP99Ms = s.LateWakeP99Seconds * 1e3,
            },
        };
        d.Notes.AddRange(e.Notes);
        return d;
    }
}
