using System.Collections.Concurrent;
using Google.Protobuf;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Mapping;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Contracts.Messaging;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Messaging;

/// <summary>
/// Completed kernel-batch jobs by id, so a redelivered command is answered without running twice (bounded, oldest
/// evicted).
/// </summary>
public sealed class KernelBatchJobs(IOptions<EmulatorOptions> options)
{
    private readonly ConcurrentDictionary<Guid, KernelBatchCompleted> _done = new();
    private readonly ConcurrentQueue<Guid> _order = new();

    public bool TryGet(Guid jobId, out KernelBatchCompleted result) => _done.TryGetValue(jobId, out result!);

    public KernelBatchCompleted Remember(KernelBatchCompleted result)
    {
        var stored = _done.GetOrAdd(result.JobId, result);
        if (ReferenceEquals(stored, result))
        {
            _order.Enqueue(result.JobId);
            while (_order.Count > options.Value.CompletedJobsRemembered && _order.TryDequeue(out var old))
                _done.TryRemove(old, out _);
        }
        return stored;
    }
}

/// <summary>
/// Runs a <see cref="SubmitKernelBatch"/> job kernel by kernel (all validated first) and publishes
/// <see cref="KernelBatchCompleted"/>.
/// </summary>
public sealed class KernelBatchConsumer(DeviceCatalog catalog, KernelRunner runner, KernelBatchJobs jobs,
    IOptions<EmulatorOptions> options, ILogger<KernelBatchConsumer> logger) : IConsumer<SubmitKernelBatch>
{

    public async Task Consume(ConsumeContext<SubmitKernelBatch> context)
    {
        var cmd = context.Message;
        if (!jobs.TryGet(cmd.JobId, out var result))
        {
            result = jobs.Remember(Execute(cmd, context.CancellationToken));
            logger.LogInformation(
                "Kernel batch {JobId} on {Device}: {Succeeded}, {KernelCount} kernels, {DeviceSeconds} modelled s",
                cmd.JobId, cmd.Device, result.Succeeded, result.ResultsJson.Count, result.TotalDeviceSeconds);
        }
        else logger.LogInformation("Kernel batch {JobId} redelivered; answering from its first result", cmd.JobId);

        await context.Publish(result, context.CancellationToken);
        if (context.ResponseAddress is not null) await context.RespondAsync(result);
    }

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
                ErrorCode = e switch
                {
                    NotFoundException => "NotFound",
                    PreconditionFailedException => "FailedPrecondition",
                    LimitExceededException => "ResourceExhausted",
                    _ => "InvalidArgument",
                },
            };
        }
    }

    private static PlatformException Prefixed(PlatformException e, string prefix) => e switch
    {
        NotFoundException nf => new NotFoundException($"{prefix}.{nf.Field}", nf.Kind, nf.Name),
        PreconditionFailedException => new PreconditionFailedException($"{prefix}.{e.Field}", e.Reason),
        LimitExceededException le =>
            new LimitExceededException($"{prefix}.{e.Field}", e.Reason, le.Needed, le.Available),
        _ => new InvalidFieldException($"{prefix}.{e.Field}", e.Reason),
    };
}
