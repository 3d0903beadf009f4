using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Platform.Contracts.Jobs.V1;
using Platform.Contracts.Messaging;
using Platform.Jobs;
using Platform.Modeling.Errors;
using static Platform.ServiceDefaults.Jobs.JobProtoMapping;
using Microsoft.AspNetCore.Authorization;
using Platform.ServiceDefaults.Security;

namespace Platform.ServiceDefaults.Jobs;

/// <summary>gRPC adapter of the shared job API (platform.jobs.v1.JobService) over the host's <see cref="JobStore"/>.
/// </summary>
public sealed class JobGrpcService(JobStore jobs, IPublishEndpoint publish, IHostApplicationLifetime? lifetime = null)
    : JobService.JobServiceBase
{
    public override Task<GetJobResponse> GetJob(GetJobRequest request, ServerCallContext context) =>
        Task.FromResult(new GetJobResponse { Job = ToProto(jobs.Get(ParseJobId(request.JobId))) });

    public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        if (request.PageSize < 0)
            throw new InvalidFieldException("page_size", $"must be 0 (default {DefaultPageSize}) or more");
        if (request.Kind.Length > 64) throw new InvalidFieldException("kind", "is longer than 64 characters");
        var status = ToDomain(request.State);
        int size = PageSize(request.PageSize);
        var page = jobs.List(new JobQuery(request.Kind.Length == 0 ? null : request.Kind, status, size + 1,
            DecodePageToken(request.PageToken)), context.CancellationToken);
        var response = new ListJobsResponse();
        response.Jobs.AddRange(page.Take(size).Select(ToProto));
        if (page.Count > size) response.NextPageToken = EncodePageToken(page[size - 1]);
        return Task.FromResult(response);
    }

    /// <summary>
    /// Streams the job's snapshots until it finishes: the current one first, so a watcher that reconnects resumes.
    /// The stream ends when the job finishes, the client cancels, or the host stops (Unavailable); the job itself runs
    /// on regardless, and the watch's slot is released whichever way the stream ends.
    /// </summary>
    public override Task WatchJob(WatchJobRequest request, IServerStreamWriter<WatchJobResponse> responseStream,
        ServerCallContext context) =>
        Watch(jobs, ParseJobId(request.JobId),
            (j, ct) => responseStream.WriteAsync(new WatchJobResponse { Job = ToProto(j) }, ct),
            context.CancellationToken, lifetime);

    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<CancelJobResponse> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        var id = ParseJobId(request.JobId);
        if (request.Reason.Length > MaxReasonLength)
            throw new InvalidFieldException("reason", $"is longer than {MaxReasonLength:N0} characters");
        string reason = request.Reason.Length == 0 ? "cancelled by the caller" : request.Reason;
        var before = jobs.Get(id);
        var job = jobs.Cancel(id, reason);
        // The instance running the job (this one or another) stops its work when it hears of it.
        if (!before.Finished)
            await publish.Publish(new JobCancelRequested { JobId = id, Reason = reason }, context.CancellationToken);
        return new CancelJobResponse { Job = ToProto(job) };
    }

    /// <summary>
    /// Writes the job's snapshots with <paramref name="write"/> until it finishes, the call is cancelled, or the host
    /// stops (then Unavailable saying the job goes on). Shared by every WatchJob RPC of the platform.
    /// </summary>
    public static async Task Watch(JobStore jobs, Guid id, Func<JobSnapshot, CancellationToken, Task> write,
        CancellationToken call, IHostApplicationLifetime? lifetime)
    {
        using var watch = jobs.Watch(id);
        var stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(call, stopping);
        try
        {
            while (true)
            {
                var job = watch.Current;
                await write(job, ended.Token);
                if (job.Finished) return;
                await watch.NextAsync(ended.Token);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !call.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                "the service is stopping; the job goes on where it runs: GetJob or WatchJob it again"));
        }
    }
}
