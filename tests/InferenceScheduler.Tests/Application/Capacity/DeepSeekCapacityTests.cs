using System.Globalization;
using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Application.Capacity;

/// <summary>
/// DeepSeek-V3/R1's published day-6 load (open-infra-index day 6: 608B input and 168B output tokens a day, 56.3%
/// prefix-cache hits, 226.75 H800 nodes of 8 on average) planned with PlanCapacity as `inference deepseek-plan` does
/// (docs/VALIDATION.md, "Capacity planning: DeepSeek's day-6 load"): one H800 unit of DeepSeek's layout, 4 prefill
/// groups of DP32/EP32 per decode group of DP144/EP144 (34 nodes), TTFT 5 s, TPOT 50 ms, attainment 0.9. The day's
/// 1,407.4 requests/s need 1,407.4 ÷ r units of 34 nodes, r the highest rate one unit serves; the plan lands within
/// ±25% of the published node count exactly when one unit meets the SLOs at the rate that gives +25% (169 req/s) and
/// misses them at the rate that gives −25% (281 req/s).
/// </summary>
public sealed class DeepSeekCapacityTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private const double DayRate = 608e9 / 86_400 / 5000, PublishedNodes = 226.75, UnitNodes = 34, Tolerance = 0.25;

    private const string Plan =
        """
        {"model":{"preset":"deepseek-v3"},"deployment":{"communicationSms":20,
        "router":"ROUTER_POLICY_LEAST_OUTSTANDING"},"timeModel":{"emulator":{"overlapCommunication":true}},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":1407.4074074074074,
        "durationSeconds":240,"seed":6,"promptTokens":{"lognormal":{"mean":5000,"sigma":0.6},"max":32768},
        "outputTokens":{"lognormal":{"mean":1381.578947368421,"sigma":0.6},"max":8192},
        "prefixSharing":{"groups":16,"sharedFraction":0.7}}},"targetRequestsPerSecond":RATE,
        "slo":{"ttftMs":5000,"tpotMs":50},"sloAttainment":0.9,
        "candidates":{"accelerators":["h800"],"tensorParallel":[1],"expertParallel":[32],
        "disaggregation":[{"prefill":4,"decode":1,"prefillDataParallel":32,"decodeDataParallel":144}]},
        "maxAccelerators":272}
        """;

    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    private async Task<PlanCapacityResponse> PlanAt(double rate) => await Client.PlanCapacityAsync(
        JsonParser.Default.Parse<PlanCapacityRequest>(
            Plan.Replace("RATE", rate.ToString("R", CultureInfo.InvariantCulture))));

    [Fact]
    public async Task Deepseek_day6_load_on_h800_plans_within_25_percent_of_the_published_nodes()
    {
        double atMost = DayRate * UnitNodes / (PublishedNodes * (1 + Tolerance)); // 169 req/s per unit
        double atLeast = DayRate * UnitNodes / (PublishedNodes * (1 - Tolerance)); // 281 req/s per unit

        var low = await PlanAt(atMost);
        var unit = Assert.Single(low.Options);
        Assert.Equal(272, unit.AcceleratorCount);
        Assert.True(unit.SloAttainment >= 0.9);
        Assert.InRange(unit.TpotP50Ms, 20, 50); // users see ~20-50 tokens/s

        var high = await PlanAt(atLeast);
        Assert.Empty(high.Options);
        Assert.Equal(CapacityRejection.NeedsMoreThanMaxAccelerators, Assert.Single(high.Rejected).Reason);
    }
}
