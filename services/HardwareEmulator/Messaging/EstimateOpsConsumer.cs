using Google.Protobuf;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Mapping;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Contracts.Messaging;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Messaging;

/// <summary>Models a batch of ops sent over the bus (proto3 JSON per op) and replies with the timings.</summary>
public sealed class EstimateOpsConsumer(DeviceCatalog catalog, TimingModel timing, IOptions<EmulatorOptions> options,
    ILogger<EstimateOpsConsumer> logger) : IConsumer<EstimateOpsCommand>
{

    public async Task Consume(ConsumeContext<EstimateOpsCommand> context)
    {
        var cmd = context.Message;
        try
        {
            var device = catalog.Get(cmd.Device, "device");
            if (cmd.OpsJson.Count == 0) throw new InvalidFieldException("ops", "needs at least one op");
            int max = options.Value.MaxOpsPerRequest;
            if (cmd.OpsJson.Count > max)
                throw new LimitExceededException("ops",
                    $"{cmd.OpsJson.Count:N0} ops exceed Emulator:MaxOpsPerRequest = {max:N0}", cmd.OpsJson.Count, max);
            var timings = new List<string>(cmd.OpsJson.Count);
            var model = timing.For(device);
            double total = 0;
            for (int i = 0; i < cmd.OpsJson.Count; i++)
            {
                if ((i & 1023) == 0) context.CancellationToken.ThrowIfCancellationRequested();
                var spec = ProtoJson.Parse<OpSpec>(cmd.OpsJson[i], $"ops[{i}]");
                var t = ProtoMapping.Estimate(model, spec, i);
                total += t.DeviceSeconds;
                timings.Add(JsonFormatter.Default.Format(t));
            }
            logger.LogInformation("Estimated {OpCount} ops on {Device} for job {JobId}", timings.Count, device.Id,
                cmd.JobId);
            await context.RespondAsync(new OpsEstimated
            {
                JobId = cmd.JobId, Device = device.Id, TotalDeviceSeconds = total, TimingsJson = timings,
            });
        }
        catch (PlatformException e)
        {
            logger.LogInformation("Rejected job {JobId}: {Field} {Reason}", cmd.JobId, e.Field, e.Reason);
            await context.RespondAsync(new CommandRejected { JobId = cmd.JobId, Field = e.Field, Reason = e.Reason });
        }
    }
}
