using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class PlanCapacityRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    /// <summary>The shape of the pinned planning request, with a short workload (10 s at 60 requests/s).</summary>
    private const string Plan =
        """
        {"model":{"preset":"llama-3.1-8b"},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":60,
        "requests":600,"seed":11,"promptTokens":{"fixed":1024},"outputTokens":{"fixed":256}}},
        "targetRequestsPerSecond":60,"slo":{"ttftMs":1000,"tpotMs":50},"sloAttainment":0.9,
        "candidates":{"accelerators":["h100-sxm"],"tensorParallel":[1]},"maxAccelerators":16}
        """;

    private static PlanCapacityRequest Parse(string json = Plan) => JsonParser.Default.Parse<PlanCapacityRequest>(json);

    private async Task<double> Attainment(PlanCapacityRequest plan, Deployment deployment, double rateMultiplier)
    {
        var workload = plan.Workload.Clone();
        workload.RateMultiplier = rateMultiplier;
        var r = await Client.SimulateWorkloadAsync(new SimulateWorkloadRequest
        {
            Model = plan.Model, Deployment = deployment, Workload = workload, Slo = plan.Slo,
        });
        return r.Metrics.SloAttainment;
    }

    [Fact]
    public async Task Each_option_simulated_with_SimulateWorkload_meets_the_attainment_and_one_replica_fewer_does_not()
    {
        var req = Parse();
        req.Candidates.TensorParallel.Add(2);
        var plan = await Client.PlanCapacityAsync(req);
        Assert.True(plan.SloMet);
        Assert.Equal(2, plan.Options.Count);
        Assert.Equal(plan.Options.OrderBy(o => o.CostPerHourUsd).Select(o => o.Layout),
            plan.Options.Select(o => o.Layout));
        Assert.Contains(plan.Options, o => o.Deployment.Replicas > 1);
        Assert.True(plan.Simulations > 0 && plan.WallSeconds > 0);
        Assert.Equal(1.0, plan.RateMultiplier); // the target is the workload's own rate
        foreach (var o in plan.Options)
        {
            var d = o.Deployment;
            Assert.Equal(d.Replicas * d.TensorParallel, o.AcceleratorCount);
            Assert.Equal(o.AcceleratorCount * 2.94, o.CostPerHourUsd, 6); // h100-sxm price_mid_usd
            // output tokens per hour at the target: 60 requests/s x 256 tokens x 3600 s
            Assert.Equal(o.CostPerHourUsd * 1e6 / (60 * 256 * 3600.0), o.CostPerMillionOutputTokensUsd, 9);
            double met = await Attainment(req, d, plan.RateMultiplier);
            Assert.Equal(o.SloAttainment, met);
            Assert.True(met >= 0.9, $"{o.Layout} x{d.Replicas}: {met}");
            if (d.Replicas == 1) continue;
            var fewer = d.Clone();
            fewer.Replicas--;
            double missed = await Attainment(req, fewer, plan.RateMultiplier);
            Assert.True(missed < 0.9, $"{o.Layout} x{fewer.Replicas}: {missed}");
        }
        Assert.Equal(plan.Options[0], Assert.Single(plan.BestPerAccelerator));
    }

    [Fact]
    public async Task Disaggregated_units_with_their_own_pool_accelerators_are_verified_and_priced_per_pool()
    {
        var req = Parse();
        req.Candidates.Accelerators[0] = "h800";
        req.Candidates.Disaggregation.Add(new PoolRatio { Prefill = 1, Decode = 1, DecodeAccelerator = "h20" });
        req.AcceleratorHourUsd.Add("h800", 2);
        req.AcceleratorHourUsd.Add("h20", 1);
        req.MaxAccelerators = 32;
        var plan = await Client.PlanCapacityAsync(req);
        var o = Assert.Single(plan.Options);
        var d = o.Deployment;
        Assert.Equal("h800", d.Accelerator);
        Assert.Equal("h20", d.Disaggregation.Decode.Accelerator);
        Assert.Equal(d.Replicas, d.Disaggregation.Prefill.Replicas);
        Assert.Equal(d.Replicas, d.Disaggregation.Decode.Replicas);
        Assert.Equal(2 * d.Replicas, o.AcceleratorCount);
        Assert.Equal(d.Replicas * (2.0 + 1.0), o.CostPerHourUsd, 9);
        Assert.Equal(o.SloAttainment, await Attainment(req, d, plan.RateMultiplier));
        Assert.True(o.SloAttainment >= 0.9);
        Assert.True(d.Replicas > 1);
        var fewer = d.Clone();
        fewer.Replicas--;
        fewer.Disaggregation.Prefill.Replicas--;
        fewer.Disaggregation.Decode.Replicas--;
        Assert.True(await Attainment(req, fewer, plan.RateMultiplier) < 0.9);
    }

    [Fact]
    public async Task Doubling_the_target_roughly_doubles_the_replicas()
    {
        var once = await Client.PlanCapacityAsync(Parse());
        var req = Parse();
        req.TargetRequestsPerSecond = 120;
        var twice = await Client.PlanCapacityAsync(req);
        Assert.Equal(2.0, twice.RateMultiplier, 12);
        int n1 = once.Options[0].Deployment.Replicas, n2 = twice.Options[0].Deployment.Replicas;
        Assert.InRange(n2, (int)Math.Floor(1.5 * n1), (int)Math.Ceiling(2.5 * n1));
        Assert.InRange(twice.Options[0].MaxRequestsPerSecondPerReplica,
            0.6 * once.Options[0].MaxRequestsPerSecondPerReplica, 1.6 * once.Options[0].MaxRequestsPerSecondPerReplica);
    }

    [Fact]
    public async Task Slos_no_layout_can_meet_give_an_answer_naming_the_closest_option()
    {
        var req = Parse();
        req.Slo.TtftMs = 1; // a 1,024-token prefill takes far longer on any layout
        var plan = await Client.PlanCapacityAsync(req);
        Assert.False(plan.SloMet);
        Assert.Empty(plan.Options);
        var r = Assert.Single(plan.Rejected);
        Assert.Equal(CapacityRejection.MissesSloWhenIdle, r.Reason);
        Assert.Contains("one request at a time", r.Detail);
        Assert.NotNull(plan.Closest);
        Assert.False(plan.Closest.MeetsSlo);
        Assert.Equal("h100-sxm", plan.Closest.Deployment.Accelerator);
        Assert.True(plan.Closest.SloAttainment < 0.9);
    }

    [Fact]
    public async Task Layouts_that_do_not_fit_do_not_suit_the_model_or_need_too_many_accelerators_are_rejected()
    {
        var req = Parse();
        req.Model.Preset = "llama-3.1-70b";
        req.Candidates.TensorParallel.Clear();
        req.Candidates.TensorParallel.Add([1, 3, 4]);
        req.MaxAccelerators = 4;
        var plan = await Client.PlanCapacityAsync(req);
        Assert.False(plan.SloMet);
        Assert.Equal(3, plan.CandidateLayouts);
        var reasons = plan.Rejected.ToDictionary(r => r.Deployment.TensorParallel, r => r.Reason);
        Assert.Equal(CapacityRejection.DoesNotFit, reasons[1]);
        Assert.Equal(CapacityRejection.InvalidLayout, reasons[3]);
        Assert.Equal(CapacityRejection.NeedsMoreThanMaxAccelerators, reasons[4]);
        Assert.Equal(4, plan.Closest.Deployment.TensorParallel);
        Assert.Equal(4, plan.Closest.AcceleratorCount);
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_field()
    {
        foreach (double t in new[] { -5, double.NaN, double.PositiveInfinity })
        {
            var r = Parse(); r.TargetRequestsPerSecond = t;
            await GrpcAssert.InvalidField("target_requests_per_second",
                () => Client.PlanCapacityAsync(r).ResponseAsync);
        }
        foreach (double a in new[] { -0.1, 1.01, double.NaN })
        {
            var r = Parse(); r.SloAttainment = a;
            await GrpcAssert.InvalidField("slo_attainment", () => Client.PlanCapacityAsync(r).ResponseAsync);
        }
        var unknown = Parse(); unknown.Candidates.Accelerators[0] = "no-such-chip";
        await GrpcAssert.FailsWith(StatusCode.NotFound, "candidates.accelerators[0]",
            () => Client.PlanCapacityAsync(unknown).ResponseAsync);
        var none = Parse(); none.Candidates.Accelerators.Clear();
        await GrpcAssert.InvalidField("candidates.accelerators", () => Client.PlanCapacityAsync(none).ResponseAsync);
        var nothing = Parse(); nothing.Candidates.TensorParallel[0] = 3; // divides none of the model's 32 heads
        await GrpcAssert.InvalidField("candidates.tensor_parallel",
            () => Client.PlanCapacityAsync(nothing).ResponseAsync);
        var missing = Parse(); missing.Candidates = null;
        await GrpcAssert.InvalidField("candidates", () => Client.PlanCapacityAsync(missing).ResponseAsync);
        var cap = Parse(); cap.MaxAccelerators = 5000;
        await GrpcAssert.InvalidField("max_accelerators", () => Client.PlanCapacityAsync(cap).ResponseAsync);
    }

    [Fact]
    public async Task Plans_past_the_layout_bound_are_refused_before_any_work()
    {
        var r = Parse();
        r.Candidates.TensorParallel.Add([2, 4, 8]);
        r.Candidates.PipelineParallel.Add([1, 2]);
        r.Candidates.MaxNumSeqs.Add([16, 32, 64, 128, 256, 512, 1024, 2048]);
        r.Candidates.MaxNumBatchedTokens.Add([1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]);
        var e = await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "candidates",
            () => Client.PlanCapacityAsync(r).ResponseAsync);
        Assert.Contains("512", e.Status.Detail);
    }
}
