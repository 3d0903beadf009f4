namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// The instances of a run: the prefill (or colocated) pool first, then the decode pool if disaggregated, each cut into
/// lockstep groups of <see cref="PoolSetup.LockstepGroupSize"/> consecutive instances.
/// </summary>
internal sealed class ServingPools
{
    private readonly int _prefillCount;

    public Instance[] Instances { get; }
    public Instance[][] Groups { get; }
    public IReadOnlyList<PoolSetup> Setups { get; }

    public ServingPools(SimulationSetup setup)
    {
        var list = new List<Instance>();
        var groups = new List<Instance[]>();
        void AddPool(PoolSetup p, int poolIndex)
        {
            int blocks = (int)Math.Min(int.MaxValue / 2, p.KvTokensPerInstance / p.Scheduler.BlockSize);
            int size = Math.Max(1, p.LockstepGroupSize);
            for (int i = 0; i < p.Instances; i += size)
            {
                var members = new Instance[Math.Min(size, p.Instances - i)];
                for (int m = 0; m < members.Length; m++)
                {
                    members[m] =
                        new Instance(list.Count, poolIndex, p.Scheduler, p.Time, blocks) { Group = groups.Count };
                    list.Add(members[m]);
                }
                groups.Add(members);
            }
        }
        AddPool(setup.Prefill, 0);
        _prefillCount = list.Count;
        if (setup.Decode is { } d) AddPool(d, 1);
        Instances = list.ToArray();
        Groups = groups.ToArray();
        Setups = setup.Decode is { } decode ? [setup.Prefill, decode] : [setup.Prefill];
    }

    /// <summary>Where requests arrive: the prefill pool, or the only pool when colocated.</summary>
    public ReadOnlySpan<Instance> Prefill => Instances.AsSpan(0, _prefillCount);

    /// <summary>Where disaggregated requests decode (empty when colocated).</summary>
    public ReadOnlySpan<Instance> Decode => Instances.AsSpan(_prefillCount);

    /// <summary>
    /// Forms the next step of lockstep group <paramref name="group"/> if it is idle and has work, and marks it busy.
    /// DP ranks of one expert-parallel group meet in every MoE all-to-all, so they step together and the step lasts as
    /// long as the slowest rank's batch (ranks with no work join with an empty batch, as vLLM's dummy batches). Without
    /// EP a group is one instance. <paramref name="seconds"/> is the step's device time.
    /// </summary>
    public bool TrySchedule(int group, RequestState[] reqs, double now, out double seconds)
    {
        var members = Groups[group];
        var lead = members[0];
        seconds = 0;
        if (lead.Busy) return false;
        bool anyWork = false;
        foreach (var inst in members)
        {
            if (!inst.Schedule(reqs, now)) continue;
            anyWork = true;
            double t = inst.Time.StepSeconds(inst.Shape);
            if (t > seconds) seconds = t;
        }
        if (!anyWork) return false;
        if (!(seconds > 0) || double.IsInfinity(seconds)) seconds = 1e-9;
        lead.Busy = true;
        return true;
    }
}
