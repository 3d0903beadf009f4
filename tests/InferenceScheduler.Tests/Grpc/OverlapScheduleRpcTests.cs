using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class OverlapScheduleRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    private const string Moe =
        """
        {"model":{"preset":"deepseek-v3"},"deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1,
        "dataParallel":16,"expertParallel":16},
        "timeModel":{"emulator":{"overlapSchedule":"OVERLAP_SCHEDULE_TWO_BATCH"}},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":4,"requests":40,"seed":3,
        "promptTokens":{"fixed":500},"outputTokens":{"fixed":50}}}}
        """;

    [Fact]
    public async Task An_unknown_overlap_schedule_is_invalid_and_named()
    {
        var req = SimulateWorkloadRpcTests.Parse(Moe);
        req.TimeModel.Emulator.OverlapSchedule = (OverlapSchedule)7;
        var e = await GrpcAssert.InvalidField("time_model.emulator.overlap_schedule",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
        Assert.Contains("OVERLAP_SCHEDULE_TWO_BATCH", e.Status.Detail);
    }

    [Fact]
    public async Task Two_batch_overlap_implies_overlap_and_is_slower_than_ideal_overlap()
    {
        async Task<SimulateWorkloadResponse> Run(bool overlap, OverlapSchedule schedule)
        {
            var req = SimulateWorkloadRpcTests.Parse(Moe);
            req.TimeModel.Emulator.OverlapCommunication = overlap;
            req.TimeModel.Emulator.OverlapSchedule = schedule;
            return await Client.SimulateWorkloadAsync(req);
        }
        var twoBatch = await Run(false, OverlapSchedule.TwoBatch);
        Assert.Contains(twoBatch.Notes, n => n.Contains("overlapped by two micro-batches"));
        var ideal = await Run(true, OverlapSchedule.Ideal);
        Assert.Contains(ideal.Notes, n => n.Contains("communication overlapped"));
        // Small batches split in two read every weight twice and hide little: never faster than perfect overlap.
        Assert.True(twoBatch.Metrics.TpotMs.Mean > ideal.Metrics.TpotMs.Mean,
            $"{twoBatch.Metrics.TpotMs.Mean} vs {ideal.Metrics.TpotMs.Mean}");
    }
}
