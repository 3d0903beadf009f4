using InferenceScheduler.Domain.Simulation;

namespace InferenceScheduler.Domain.Capacity;

/// <summary>
/// The capacity search of one candidate layout, after Vidur-Search and DistServe:
/// <list type="number">
/// <item>Idle: the first <see cref="IdleRequests"/> requests served one at a time; below the attainment the layout is
/// hopeless (<see cref="LayoutVerdict.MissesWhenIdle"/>).</item>
/// <item>Per-replica rate: one replica serving the workload at rate target ÷ n. First n = max replicas (below the
/// attainment there: <see cref="LayoutVerdict.NeedsMoreThanMax"/>), then bisection on the rate (geometric, over the
/// rates target ÷ n) to the smallest n that meets the attainment, n₀ = ⌈target ÷ highest rate⌉.</item>
/// <item>Verification: the whole deployment of n₀ replicas with its router at the target rate; then downwards (if it
/// meets) or upwards (if not) in doubling steps and bisection to the smallest n that meets the attainment while n − 1
/// does not.</item>
/// </list>
/// A run stops as soon as more requests have missed than the attainment allows (its outcome is then decided), so
/// overloaded probes cost little. Every option is thus a whole simulated deployment, not an extrapolation.
/// Attainment is assumed to fall with the rate per replica; the final answer is checked at n and n − 1 either way.
/// </summary>
public sealed class LayoutSearch(ILayoutProbe probe, CapacityTarget target)
{
    /// <summary>Requests of the idle probe.</summary>
    public const int IdleRequests = 100;

    private readonly Dictionary<int, ProbeRun> _perReplica = [];
    private readonly Dictionary<int, ProbeRun> _whole = [];
    private double _best;

    /// <summary>Simulations run so far.</summary>
    public int Simulations { get; private set; }

    /// <summary>
    /// A bound on the simulations one layout's search runs with <paramref name="maxReplicas"/> allowed, N: the idle
    /// and floor probes (2), the geometric bisection over n (at most ceil(log2 N) + 3) and the verification's doubling
    /// and bisection (at most 2 ceil(log2 N) + 2), rounded up to 2 + 4 (ceil(log2 N) + 1).
    /// </summary>
    public static int MaxSimulations(int maxReplicas) => 2 + 4 * (CeilLog2(Math.Max(1, maxReplicas)) + 1);

    private bool Meets(SimulationResult r) => r.SloAttainment >= target.Attainment;

    private bool Meets(ProbeRun r) => r.Result is { } full && Meets(full);

    public async Task<LayoutSearchResult> RunAsync(CancellationToken ct)
    {
        var idle = await probe.SimulateIdleAsync(ct);
        Simulations++;
        _best = idle.SloAttainment;
        if (!Meets(idle))
            return Result(LayoutVerdict.MissesWhenIdle, 0, 0, null,
                $"attainment {idle.SloAttainment:0.###} below {target.Attainment:0.###} with one request at a time " +
                $"(TTFT p50 {idle.TtftMs.P50:0.#} ms, TPOT p50 {idle.TpotMs.P50:0.#} ms)");
        int max = target.MaxReplicas;
        _best = 0; // how close a layout comes is judged under load, not idle
        if (!await PerReplicaMeets(max, ct))
            return Result(LayoutVerdict.NeedsMoreThanMax, max, 0, null,
                $"one replica at {target.RatePerSecond / max:0.###} requests/s (target ÷ {max} replicas) reaches " +
                $"attainment {_perReplica[max].Attainment:0.###}{Partial(_perReplica[max])}");
        int meet = max, fail = 0;
        while (meet - fail > 1)
        {
            int mid = fail == 0 ? 1 : (int)Math.Round(Math.Sqrt((double)meet * fail));
            mid = Math.Clamp(mid, fail + 1, meet - 1);
            if (await PerReplicaMeets(mid, ct)) meet = mid;
            else fail = mid;
        }
        double maxRate = target.RatePerSecond / meet;
        return await VerifyAsync(meet, maxRate, ct);
    }

    /// <summary>The smallest whole deployment meeting the attainment, starting from the probes' estimate.</summary>
    private async Task<LayoutSearchResult> VerifyAsync(int estimate, double maxRate, CancellationToken ct)
    {
        int max = target.MaxReplicas, meet, fail;
        if (await WholeMeets(estimate, ct))
        {
            (meet, fail) = (estimate, 0);
            for (int step = 1; meet - step > fail; step *= 2)
            {
                if (await WholeMeets(meet - step, ct)) meet -= step;
                else { fail = meet - step; break; }
            }
        }
        else
        {
            (meet, fail) = (-1, estimate);
            for (int step = 1; meet < 0; step *= 2)
            {
                if (fail >= max)
                    return Result(LayoutVerdict.NeedsMoreThanMax, max, maxRate, null,
                        $"{max} replicas at the target rate reach attainment {_whole[max].Attainment:0.###}" +
                        Partial(_whole[max]));
                int c = Math.Min(max, fail + step);
                if (await WholeMeets(c, ct)) meet = c;
                else fail = c;
            }
        }
        while (meet - fail > 1)
        {
            int mid = (meet + fail) / 2;
            if (await WholeMeets(mid, ct)) meet = mid;
            else fail = mid;
        }
        return Result(LayoutVerdict.Meets, meet, maxRate, _whole[meet].Result,
            fail > 0
                ? $"{fail} replica(s) reach attainment {_whole[fail].Attainment:0.###}{Partial(_whole[fail])}"
                : "one replica meets");
    }

    private async Task<bool> PerReplicaMeets(int n, CancellationToken ct)
    {
        if (!_perReplica.TryGetValue(n, out var r))
        {
            r = await probe.SimulateAsync(1, target.RatePerSecond / n, target.Attainment, ct);
            Simulations++;
            _perReplica[n] = r;
            _best = Math.Max(_best, r.Attainment);
        }
        return Meets(r);
    }

    private async Task<bool> WholeMeets(int n, CancellationToken ct)
    {
        // One replica at the target rate is the per-replica probe at target ÷ 1: the same simulation, run once.
        if (n == 1 && !_whole.ContainsKey(1) && _perReplica.TryGetValue(1, out var single)) _whole[1] = single;
        if (!_whole.TryGetValue(n, out var r))
        {
            r = await probe.SimulateAsync(n, target.RatePerSecond, target.Attainment, ct);
            Simulations++;
            _whole[n] = r;
            _best = Math.Max(_best, r.Attainment);
        }
        return Meets(r);
    }

    private LayoutSearchResult Result(LayoutVerdict verdict, int replicas, double maxRate, SimulationResult? verified,
        string detail) => new(verdict, replicas, maxRate, verified, _best, Simulations, detail);

    private static string Partial(ProbeRun r) => r.Result is null ? " at most (stopped once decided)" : "";

    private static int CeilLog2(int n) => n <= 1 ? 0 : 32 - (int)uint.LeadingZeroCount((uint)(n - 1));
}
