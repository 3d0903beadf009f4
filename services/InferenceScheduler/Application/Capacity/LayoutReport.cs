using InferenceScheduler.Domain.Capacity;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application.Capacity;

/// <summary>
/// The outcome of one layout's whole search (<see cref="LayoutSearch"/>), as whoever ran it reports it: all the answer
/// needs of that layout. <see cref="Index"/> is the layout's place in the plan's expanded list; <see cref="Verdict"/>
/// is null when the layout could not be simulated (it did not fit, or its deployment was invalid);
/// <see cref="Option"/> is the verified deployment when the verdict is <see cref="LayoutVerdict.Meets"/>.
/// </summary>
public sealed record LayoutReport(int Index, CapacityRejection Rejection, string Detail, LayoutVerdict? Verdict,
    int Replicas, double MaxRatePerReplica, double BestAttainment, int Simulations, CapacityOption? Option)
{
    public static LayoutReport Rejected(int index, CapacityRejection rejection, string detail) =>
        new(index, rejection, detail, null, 0, 0, 0, 0, null);
}

/// <summary>
/// Collects a plan's layout reports as they come back, in any order and possibly more than once (a redelivered probe
/// reports again): the first report of a layout counts, later ones are ignored (a search is deterministic, so they are
/// the same). Tells how many layouts are in, their simulations and the cheapest option so far. Thread-safe.
/// </summary>
public sealed class CapacityTally(int layouts)
{
    private readonly LayoutReport?[] _reports = new LayoutReport?[layouts];
    private readonly Lock _gate = new();
    private int _done;
    private long _simulations;
    private CapacityOption? _best;

    public int Layouts => layouts;
    public int Done { get { lock (_gate) return _done; } }
    public long Simulations { get { lock (_gate) return _simulations; } }
    public bool Complete => Done == layouts;

    /// <summary>The cheapest option so far, in the answer's order (null until a layout meets the SLOs).</summary>
    public CapacityOption? Best { get { lock (_gate) return _best; } }

    /// <summary>Adds a report; false when its layout was reported already (or the index is not the plan's).</summary>
    public bool Add(LayoutReport report)
    {
        lock (_gate)
        {
            if (report.Index < 0 || report.Index >= layouts || _reports[report.Index] is not null) return false;
            _reports[report.Index] = report;
            _done++;
            _simulations += report.Simulations;
            if (report.Option is { } o && (_best is null || CapacityAnswer.Cheaper(o, _best))) _best = o;
            return true;
        }
    }

    /// <summary>The layouts not reported yet.</summary>
    public IReadOnlyList<int> Outstanding()
    {
        lock (_gate) return Enumerable.Range(0, layouts).Where(i => _reports[i] is null).ToList();
    }

    /// <summary>Every layout's report, by index (all must be in).</summary>
    public LayoutReport[] Reports()
    {
        lock (_gate)
        {
            if (_done != layouts)
                throw new InvalidOperationException($"{layouts - _done} of {layouts} layouts not reported");
            return _reports.Select(r => r!).ToArray();
        }
    }

    /// <summary>"5/9 layouts searched, 123 simulations; best so far: ...": the job's message while it runs.</summary>
    public string Describe()
    {
        lock (_gate)
            return $"{_done}/{layouts} layouts searched, {_simulations} simulations" + (_best is null
                ? ""
                : $"; best so far: {_best.Layout} ×{_best.Deployment?.Replicas ?? 0}, {_best.AcceleratorCount} " +
                  $"accelerators, ${_best.CostPerHourUsd:0.##}/h");
    }
}
