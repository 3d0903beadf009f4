using System.Globalization;
using InferenceScheduler.Domain.Live;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Live;

/// <summary>
/// A replica thread at Highest takes the lowest nice value the process is allowed — −20 with CAP_SYS_NICE, else
/// 20 − RLIMIT_NICE when that is below the thread's own (setpriority(2), capabilities(7)) — read back from
/// /proc/thread-self/stat; at Normal it keeps the nice value it was started with.
/// </summary>
public sealed class ReplicaThreadPriorityTests
{
    private static SimulationSetup Setup() => new(
        new PoolSetup("colocated", 1, 1, 400_000,
            new SchedulerSettings(256, 2048, 0, 16, ChunkedPrefill: true, PrefixCaching: true,
                SchedulingPolicyKind.Fcfs, BatchingPolicyKind.VllmV1),
            new ConstantStepTimeModel(1e-4, 0.04, 0.01)),
        null, RouterKind.LeastOutstanding, new SloTargets(0, 0, 0));

    [Fact]
    public void Highest_takes_the_lowest_nice_value_allowed_and_normal_keeps_the_creators()
    {
        if (!OperatingSystem.IsLinux()) return;
        int own = ReplicaThreads.CurrentNice() ?? 0;
        using (var normal = new LiveEngine(Setup(), 1, 10, replicaPriority: ReplicaThreadPriority.Normal))
            Assert.Equal(own, normal.ReplicaThreadNice);
        using var highest = new LiveEngine(Setup(), 1, 10, replicaPriority: ReplicaThreadPriority.Highest);
        Assert.Equal(Math.Min(own, LowestAllowedNice()), highest.ReplicaThreadNice);
    }

    /// <summary>−20 with CAP_SYS_NICE (bit 23 of CapEff), else 20 − the soft RLIMIT_NICE.</summary>
    private static int LowestAllowedNice()
    {
        var status = File.ReadAllLines("/proc/self/status");
        ulong caps = ulong.Parse(status.First(l => l.StartsWith("CapEff:", StringComparison.Ordinal))[7..].Trim(),
            NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if ((caps & (1UL << 23)) != 0) return -20;
        const string Row = "Max nice priority";
        var limit = File.ReadAllLines("/proc/self/limits").First(l => l.StartsWith(Row, StringComparison.Ordinal))
            [Row.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return limit == "unlimited" ? -20 : Math.Max(-20, 20 - int.Parse(limit, CultureInfo.InvariantCulture));
    }
}
