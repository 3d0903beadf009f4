using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Application.Capacity;

/// <summary>
/// MoE candidates with prefill and decode pools of their own data-parallel ranks (DeepSeek's prefill DP32 with decode
/// DP144): each pool's experts span its own ranks, the unit counts and prices each pool's accelerators, and the option
/// is exactly what SimulateWorkload answers for its deployment.
/// </summary>
public sealed class CandidateLayoutsTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    // Mixtral 8x7B in BF16 (~94 GB) does not fit one 80 GB H800: only layouts with experts over several ranks fit.
    private const string Plan =
        """
        {"model":{"preset":"mixtral-8x7b"},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":20,
        "requests":300,"seed":13,"promptTokens":{"fixed":512},"outputTokens":{"fixed":64}}},
        "targetRequestsPerSecond":20,"slo":{"ttftMs":1000,"tpotMs":60},"sloAttainment":0.9,
        "candidates":{"accelerators":["h800"],"tensorParallel":[1],
        "disaggregation":[{"prefill":1,"decode":1,"prefillDataParallel":2,"decodeDataParallel":4}]},
        "maxAccelerators":48,"acceleratorHourUsd":{"h800":2}}
        """;

    private static PlanCapacityRequest Parse() => JsonParser.Default.Parse<PlanCapacityRequest>(Plan);

    [Fact]
    public async Task Moe_pools_with_their_own_data_parallel_ranks_spread_experts_over_them_and_are_priced_per_rank()
    {
        var req = Parse();
        var plan = await Client.PlanCapacityAsync(req);
        Assert.Equal(2, plan.CandidateLayouts); // experts replicated on every rank (EP1), or over each pool's ranks
        var replicated = Assert.Single(plan.Rejected);
        Assert.Equal(CapacityRejection.DoesNotFit, replicated.Reason);
        var o = Assert.Single(plan.Options);
        Assert.Contains("(prefill DP2 EP2, decode DP4 EP4)", o.Layout);
        var d = o.Deployment;
        Assert.Equal((2, 2, 1), (d.Disaggregation.Prefill.DataParallel, d.Disaggregation.Prefill.ExpertParallel,
            d.Disaggregation.Prefill.TensorParallel));
        Assert.Equal((4, 4, 1), (d.Disaggregation.Decode.DataParallel, d.Disaggregation.Decode.ExpertParallel,
            d.Disaggregation.Decode.TensorParallel));
        Assert.Equal(d.Replicas, d.Disaggregation.Prefill.Replicas);
        Assert.Equal(d.Replicas, d.Disaggregation.Decode.Replicas);
        Assert.Equal(d.Replicas * (2 + 4), o.AcceleratorCount);
        Assert.Equal(o.AcceleratorCount * 2.0, o.CostPerHourUsd, 9);

        var workload = req.Workload.Clone();
        workload.RateMultiplier = plan.RateMultiplier;
        var run = await Client.SimulateWorkloadAsync(new SimulateWorkloadRequest
        {
            Model = req.Model, Deployment = d, Workload = workload, Slo = req.Slo,
        });
        Assert.Equal(o.SloAttainment, run.Metrics.SloAttainment);
        Assert.True(o.SloAttainment >= 0.9);
    }

    [Fact]
    public async Task Bad_pool_data_parallel_ranks_are_refused_naming_the_field()
    {
        var negative = Parse();
        negative.Candidates.Disaggregation[0].DecodeDataParallel = -1;
        await GrpcAssert.InvalidField("candidates.disaggregation",
            () => Client.PlanCapacityAsync(negative).ResponseAsync);

        var colocated = Parse();
        colocated.Candidates.Disaggregation[0] = new PoolRatio { DecodeDataParallel = 4 };
        await GrpcAssert.InvalidField("candidates.disaggregation",
            () => Client.PlanCapacityAsync(colocated).ResponseAsync);

        // 32 decode ranks would spread Mixtral's 8 experts over more than twice as many ranks
        var wide = Parse();
        wide.Candidates.ExpertParallel.Add(2);
        wide.Candidates.Disaggregation[0].DecodeDataParallel = 32;
        await GrpcAssert.InvalidField("candidates.disaggregation.decode.expert_parallel",
            () => Client.PlanCapacityAsync(wide).ResponseAsync);
    }
}
