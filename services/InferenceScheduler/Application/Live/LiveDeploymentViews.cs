using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application.Live;

/// <summary>A live deployment as the API shows it: live figures for one this process runs, the figures recorded at
/// creation for one another process runs.</summary>
public static class LiveDeploymentViews
{
    public static LiveDeployment ToProto(LiveDeploymentEntry e, bool withStats = true)
    {
        var d = new LiveDeployment
        {
            Name = e.Name, Model = e.ModelName, Deployment = e.Request.Deployment, TimeScale = e.Request.TimeScale,
            Tokenizer = e.Encoding, MaxModelLen = e.MaxModelLen, KvCacheTokensPerReplica = e.Engine.KvTokensPerReplica,
            MaxRequestsInFlight = e.Engine.MaxOutstanding, Stats = new LiveDeploymentStats(),
        };
        d.Notes.AddRange(e.Notes);
        if (!withStats) return d;
        var s = e.Engine.Stats();
        d.Stats = new LiveDeploymentStats
        {
            Waiting = s.Waiting, Running = s.Running, Preemptions = s.Preemptions, KvCacheUsage = s.KvCacheUsage,
            PrefixCacheHitRate = s.PrefixCacheHitRate, GenerationTokensPerSecond = s.GenerationTokensPerSecond,
            PromptTokens = s.PromptTokens, GenerationTokens = s.GenerationTokens,
            CompletedRequests = s.Completed, CancelledRequests = s.Cancelled, Steps = s.Steps,
            SchedulerSeconds = s.SchedulerSeconds, ScheduledRequestSteps = s.ScheduledRequestSteps,
            LateStepP99Ms = s.LateWakeP99Seconds * 1e3,
        };
        return d;
    }

    /// <summary>The deployment wherever it runs: this process's live figures, or the snapshot recorded at creation
    /// with its owner and whether the owner is gone.</summary>
    public static LiveDeployment ToProto(DeploymentLocation l)
    {
        var d = l.Local is { } e ? ToProto(e) : l.Snapshot();
        d.Owner = l.OwnerAddress;
        d.OwnerGone = l.OwnerGone;
        return d;
    }
}
