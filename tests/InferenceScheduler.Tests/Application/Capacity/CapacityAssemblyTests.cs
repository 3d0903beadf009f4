using Google.Protobuf;
using InferenceScheduler.Application.Capacity;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Application.Capacity;

/// <summary>
/// A plan whose layout searches run elsewhere (the inference fleet) is assembled from their reports: whatever order
/// they come back in, and however often a redelivered probe reports again, the answer is the one the plan gives in
/// this process.
/// </summary>
public sealed class CapacityAssemblyTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private const string Plan =
        """
        {"model":{"preset":"llama-3.1-8b"},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":40,
        "requests":300,"seed":5,"promptTokens":{"fixed":1024},"outputTokens":{"fixed":128}}},
        "targetRequestsPerSecond":40,"slo":{"ttftMs":1000,"tpotMs":50},"sloAttainment":0.9,
        "candidates":{"accelerators":["h100-sxm","a100-80gb","h20"],"tensorParallel":[1,2]},"maxAccelerators":8}
        """;

    private CapacityPlanner Planner => factory.Services.GetRequiredService<CapacityPlanner>();

    private static PlanCapacityRequest Parse() => JsonParser.Default.Parse<PlanCapacityRequest>(Plan);

    /// <summary>The answer without what differs from run to run (wall time, where the searches ran).</summary>
    private static PlanCapacityResponse Table(PlanCapacityResponse r)
    {
        var t = r.Clone();
        t.WallSeconds = 0;
        t.Notes.Clear();
        return t;
    }

    [Fact]
    public async Task Reports_in_any_order_and_repeated_give_the_answer_of_the_plan_run_in_process()
    {
        var expected = Table(await Planner.PlanAsync(Parse(), CancellationToken.None));
        var prepared = await Planner.PrepareAsync(Parse(), CancellationToken.None);
        var reports = new List<LayoutReport>();
        for (int i = 0; i < prepared.Valid.Count; i++)
            reports.Add(await Planner.SearchAsync(prepared, i, CancellationToken.None));
        Assert.True(reports.Count >= 4, $"{reports.Count} layouts: too few to reorder");
        Assert.Contains(expected.Options, o => o.MeetsSlo);

        var random = new Random(7);
        foreach (var order in new[]
                 {
                     reports.AsEnumerable().Reverse().ToList(),
                     reports.OrderBy(_ => random.Next()).ToList(),
                     // A redelivered probe reports a layout twice; only its first report counts.
                     reports.Concat(reports.Take(2)).OrderBy(_ => random.Next()).ToList(),
                 })
        {
            var seen = new List<int>();
            var answer = await Planner.PlanAsync(Parse(), (labels, report, _) =>
            {
                Assert.Equal(prepared.Valid.Select(l => l.Label), labels);
                foreach (var r in order)
                {
                    seen.Add(r.Index);
                    report(r);
                }
                return Task.CompletedTask;
            }, CancellationToken.None);
            Assert.Equal(order.Select(r => r.Index), seen);
            Assert.Equal(expected, Table(answer));
        }
    }

    [Fact]
    public void The_tally_counts_each_layout_once_and_keeps_the_cheapest_option_whatever_the_order()
    {
        static LayoutReport Meets(int i, double cost) => new(i, CapacityRejection.Unspecified, "", null, 1, 1, 1, 3,
            new CapacityOption { Layout = $"l{i}", CostPerHourUsd = cost, AcceleratorCount = 1 });
        var reports = new[] { Meets(0, 9), Meets(1, 4), Meets(2, 4), Meets(3, 7) };
        foreach (var order in new[] { new[] { 0, 1, 2, 3 }, [3, 2, 1, 0], [2, 0, 3, 1, 2, 1] })
        {
            var tally = new CapacityTally(4);
            foreach (int i in order) tally.Add(reports[i]);
            Assert.True(tally.Complete);
            Assert.Equal((4, 12L), (tally.Done, tally.Simulations));
            Assert.Equal("l1", tally.Best!.Layout); // cost ties: the layout's name decides
            Assert.Equal([0, 1, 2, 3], tally.Reports().Select(r => r.Index));
        }
        var partial = new CapacityTally(3);
        partial.Add(reports[1]);
        Assert.Equal([0, 2], partial.Outstanding());
        Assert.Throws<InvalidOperationException>(() => partial.Reports());
        Assert.False(partial.Add(reports[3])); // not a layout of this plan
        Assert.StartsWith("1/3 layouts searched, 3 simulations; best so far: l1", partial.Describe());
    }
}
