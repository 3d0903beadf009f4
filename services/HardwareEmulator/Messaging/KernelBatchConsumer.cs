using Google.Protobuf;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Mapping;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Jobs.V1;
using Platform.Contracts.Mapping;
using Platform.Contracts.Messaging;
using Platform.Jobs;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Messaging;

/// <summary>
/// Runs a <see cref="SubmitKernelBatch"/> job kernel by kernel (all validated first) and publishes
/// <see cref="KernelBatchCompleted"/>. The batch is a job of the shared job model (kind "kernel-batch": GetJob,
/// ListJobs, WatchJob and CancelJob of platform.jobs.v1.JobService), kept with its result in the platform database: a
/// redelivered command, on this instance or another, is answered from the stored result without running again.
/// </summary>
public sealed class KernelBatchConsumer(DeviceCatalog catalog, KernelRunner runner, JobStore jobs,
    IOptions<EmulatorOptions> options, ILogger<KernelBatchConsumer> logger) : IConsumer<SubmitKernelBatch>
{
    /// <summary>The job kind of a kernel batch.</summary>
    public const string Kind = "kernel-batch";

    public async Task Consume(ConsumeContext<SubmitKernelBatch> context)
    {
        var cmd = context.Message;
        KernelBatchCompleted result;
        if (!jobs.Adopt(cmd.JobId, Kind) && jobs.TryGet(cmd.JobId, out var done) && done.Finished)
        {
            result = FromJob(cmd, done);
            logger.LogInformation("Kernel batch {JobId} redelivered; answering from its stored result", cmd.JobId);
        }
        else
        {
            using (var work = jobs.StartRun(cmd.JobId, 0, context.CancellationToken))
            {
                try
                {
                    result = Execute(cmd, work.Token);
                }
                catch (OperationCanceledException) when (work.CancelledByCaller)
                {
                    result = FromJob(cmd, jobs.Get(cmd.JobId));
                }
            }
            result = FromJob(cmd, jobs.Update(cmd.JobId, j => result.Succeeded
                ? j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = ToProto(result) }
                : j with
                {
                    Status = JobStatus.Failed,
                    Message = "failed",
                    ErrorField = result.ErrorField,
                    ErrorReason = result.ErrorReason,
                    ErrorCode = result.ErrorCode,
                }));
            logger.LogInformation(
                "Kernel batch {JobId} on {Device}: {Succeeded}, {KernelCount} kernels, {DeviceSeconds} modelled s",
                cmd.JobId, cmd.Device, result.Succeeded, result.ResultsJson.Count, result.TotalDeviceSeconds);
        }
        await context.Publish(result, context.CancellationToken);
        if (context.ResponseAddress is not null) await context.RespondAsync(result);
    }

    private static KernelBatchResult ToProto(KernelBatchCompleted r)
    {
        var proto = new KernelBatchResult { Device = r.Device, TotalDeviceSeconds = r.TotalDeviceSeconds };
        proto.Results.AddRange(r.ResultsJson.Select(j => JsonParser.Default.Parse<RunKernelResponse>(j)));
        return proto;
    }

    /// <summary>The batch's outcome as its job holds it (succeeded with its result, failed or cancelled).</summary>
    private static KernelBatchCompleted FromJob(SubmitKernelBatch cmd, JobSnapshot job) =>
        job is { Status: JobStatus.Succeeded, Result: KernelBatchResult r }
            ? new KernelBatchCompleted
            {
                JobId = cmd.JobId, Device = cmd.Device, Succeeded = true, TotalDeviceSeconds = r.TotalDeviceSeconds,
                ResultsJson = [.. r.Results.Select(k => JsonFormatter.Default.Format(k))],
            }
            : new KernelBatchCompleted
            {
                JobId = cmd.JobId, Device = cmd.Device, Succeeded = false, ErrorField = job.ErrorField,
                ErrorReason = job.ErrorReason ?? job.Message, ErrorCode = job.ErrorCode ?? "Internal",
            };

    private KernelBatchCompleted Execute(SubmitKernelBatch cmd, CancellationToken ct)
    {
        try
        {
            var opts = options.Value;
            if (cmd.KernelsJson is null || cmd.KernelsJson.Count == 0)
                throw new InvalidFieldException("kernels", "needs at least one kernel");
            if (cmd.KernelsJson.Count > opts.MaxKernelsPerBatch)
                throw new LimitExceededException("kernels",
                    $"{cmd.KernelsJson.Count} kernels exceed Emulator:MaxKernelsPerBatch = {opts.MaxKernelsPerBatch}",
                    cmd.KernelsJson.Count, opts.MaxKernelsPerBatch);
            var requests = new List<RunKernelRequest>(cmd.KernelsJson.Count);
            for (int i = 0; i < cmd.KernelsJson.Count; i++)
            {
                var r = ProtoJson.Parse<RunKernelRequest>(cmd.KernelsJson[i], $"kernels[{i}]");
                if (string.IsNullOrEmpty(r.Device)) r.Device = cmd.Device;
                requests.Add(r);
            }
            var results = new List<string>(requests.Count);
            double total = 0;
            for (int i = 0; i < requests.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                RunKernelResponse response;
                try { response = KernelMapping.Run(requests[i], catalog, runner, opts, ct); }
                catch (PlatformException e) { throw Prefixed(e, $"kernels[{i}]"); }
                total += response.Timing.DeviceSeconds;
                results.Add(JsonFormatter.Default.Format(response));
            }
            return new KernelBatchCompleted
            {
                JobId = cmd.JobId, Device = cmd.Device, Succeeded = true, TotalDeviceSeconds = total,
                ResultsJson = results,
            };
        }
        catch (PlatformException e)
        {
            return new KernelBatchCompleted
            {
                JobId = cmd.JobId, Device = cmd.Device, Succeeded = false, ErrorField = e.Field, ErrorReason = e.Reason,
                ErrorCode = e.StatusName,
            };
        }
    }

    private static PlatformException Prefixed(PlatformException e, string prefix) => e switch
    {
        NotFoundException nf => new NotFoundException($"{prefix}.{nf.Field}", nf.Kind, nf.Name, nf.Hint),
        PreconditionFailedException => new PreconditionFailedException($"{prefix}.{e.Field}", e.Reason),
        LimitExceededException le =>
            new LimitExceededException($"{prefix}.{e.Field}", e.Reason, le.Needed, le.Available),
        _ => new InvalidFieldException($"{prefix}.{e.Field}", e.Reason),
    };
}
