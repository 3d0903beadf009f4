using Platform.Contracts.Inference.V1;
using Platform.Testing;
using Job = Platform.Contracts.Jobs.V1.Job;
using JobService = Platform.Contracts.Jobs.V1.JobService;
using WatchJobRequest = Platform.Contracts.Jobs.V1.WatchJobRequest;

namespace InferenceScheduler.Tests.Grpc;

/// <summary>
/// What the inference job tests share: the inference and job clients on the test host, and following a job to its
/// end (its progress never going backwards).
/// </summary>
public sealed class InferenceJobClients(PlatformFactory factory)
{
    /// <summary>Longest a job may take to finish in a test.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public InferenceSchedulerService.InferenceSchedulerServiceClient Inference => new(factory.Channel);

    public JobService.JobServiceClient Jobs => new(factory.Channel);

    /// <summary>The job's last snapshot, once WatchJob ends.</summary>
    public async Task<Job> WatchToEndAsync(string id)
    {
        using var call = Jobs.WatchJob(new WatchJobRequest { JobId = id });
        Job last = null!;
        double progress = 0;
        using var timeout = new CancellationTokenSource(Timeout);
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            last = call.ResponseStream.Current.Job;
            Assert.True(last.Progress >= progress, "progress went backwards");
            progress = last.Progress;
        }
        return last;
    }
}
