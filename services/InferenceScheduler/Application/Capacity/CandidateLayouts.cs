using InferenceScheduler.Domain.Serving;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;
using ModelArchitecture = Platform.Modeling.ModelArchitecture;

namespace InferenceScheduler.Application.Capacity;

/// <summary>
/// One candidate layout: an accelerator, parallel degrees, batch caps and (when disaggregated) the prefill:decode
/// instance groups of one unit, each pool optionally on its own accelerator and with its own data-parallel ranks
/// (<see cref="PrefillDp"/>, <see cref="DecodeDp"/>; 0 = <see cref="DataParallel"/>). Its replica is one instance
/// group when colocated, one unit when disaggregated. With expert parallelism (EP &gt; 1) a pool's experts span its
/// TP × DP ranks.
/// </summary>
internal sealed record CandidateLayout(AcceleratorInfo Accelerator, int TensorParallel, int PipelineParallel,
    int ExpertParallel, int DataParallel, int MaxNumSeqs, long MaxNumBatchedTokens, int Prefill, int Decode,
    double PricePerHour, bool PriceGiven, PoolAccelerator? PrefillOn = null, PoolAccelerator? DecodeOn = null,
    int PrefillDp = 0, int DecodeDp = 0)
{
    public bool Disaggregated => Prefill > 0;

    /// <summary>Whether a pool's data-parallel ranks differ from the candidate's.</summary>
    public bool PoolDp => Disaggregated && (PrefillDp > 0 || DecodeDp > 0);

    /// <summary>Data-parallel ranks of one prefill instance group.</summary>
    public int PrefillData => PrefillDp > 0 ? PrefillDp : DataParallel;

    /// <summary>Data-parallel ranks of one decode instance group.</summary>
    public int DecodeData => DecodeDp > 0 ? DecodeDp : DataParallel;

    /// <summary>
    /// USD per hour of one replica: its accelerators × their prices (per pool when the pools run on their own
    /// accelerators).
    /// </summary>
    public double CostPerReplicaHour => TensorParallel * PipelineParallel * (Disaggregated
        ? Prefill * PrefillData * (PrefillOn?.Price ?? PricePerHour)
          + Decode * DecodeData * (DecodeOn?.Price ?? PricePerHour)
        : DataParallel * PricePerHour);

    /// <summary>Accelerators of one replica: TP × PP × DP per instance group, × (prefill + decode) groups per unit
    /// (each pool with its own DP).</summary>
    public int AcceleratorsPerReplica => TensorParallel * PipelineParallel *
        (Disaggregated ? Prefill * PrefillData + Decode * DecodeData : DataParallel);

    public string Label =>
        $"{Accelerator.Id} TP{TensorParallel} PP{PipelineParallel}" +
        (PoolDp ? "" : ExpertParallel > 1 ? $" EP{ExpertParallel}" : "") +
        (PoolDp || DataParallel <= 1 ? "" : $" DP{DataParallel}") +
        (MaxNumSeqs > 0 ? $" max_num_seqs {MaxNumSeqs}" : "") +
        (MaxNumBatchedTokens > 0 ? $" max_num_batched_tokens {MaxNumBatchedTokens}" : "") +
        (Disaggregated ? $" P:D {Prefill}:{Decode}" : "") +
        (PoolDp ? $" (prefill {PoolLabel(PrefillData)}, decode {PoolLabel(DecodeData)})" : "") +
        (PrefillOn is null && DecodeOn is null ? ""
            : $" (prefill on {PrefillOn?.Accelerator.Id ?? Accelerator.Id}, decode on " +
              $"{DecodeOn?.Accelerator.Id ?? Accelerator.Id})");

    private string PoolLabel(int dp) => $"DP{dp}" + (ExpertParallel > 1 ? $" EP{TensorParallel * dp}" : "");

    /// <summary>
    /// The complete deployment of <paramref name="replicas"/> replicas: the template's other settings, this layout,
    /// and the price when the request gave one.
    /// </summary>
    public Deployment Deployment(Deployment? template, int replicas)
    {
        var d = template?.Clone() ?? new Deployment();
        d.Accelerator = Accelerator.Id;
        d.Replicas = replicas;
        d.TensorParallel = TensorParallel;
        d.PipelineParallel = PipelineParallel;
        // with pools of their own DP, EP > 1 means experts over each pool's ranks (the pools state their layouts)
        d.ExpertParallel = PoolDp && ExpertParallel > 1 ? TensorParallel * DataParallel : ExpertParallel;
        d.DataParallel = DataParallel;
        d.MaxNumSeqs = MaxNumSeqs;
        d.MaxNumBatchedTokens = MaxNumBatchedTokens;
        d.AcceleratorHourUsd = PriceGiven ? PricePerHour : 0;
        d.Disaggregation = Disaggregated
            ? new Disaggregation
            {
                Prefill = Pool(Prefill * replicas, PrefillOn, PrefillDp),
                Decode = Pool(Decode * replicas, DecodeOn, DecodeDp),
                KvTransferGbps = template?.Disaggregation?.KvTransferGbps ?? 0,
            }
            : null;
        return d;
    }

    /// <summary>A pool of the unit; with its own DP it states its whole layout (TP, PP, DP and EP over its ranks).
    /// </summary>
    private PoolSpec Pool(int replicas, PoolAccelerator? on, int dp)
    {
        var pool = new PoolSpec
        {
            Replicas = replicas, Accelerator = on?.Accelerator.Id ?? "",
            AcceleratorHourUsd = on is { PriceGiven: true } ? on.Price : 0,
        };
        if (dp > 0)
        {
            pool.TensorParallel = TensorParallel;
            pool.PipelineParallel = PipelineParallel;
            pool.DataParallel = dp;
            pool.ExpertParallel = ExpertParallel > 1 ? TensorParallel * dp : 1;
        }
        return pool;
    }

    /// <summary>The parallel layouts this candidate runs: the candidate's, or each pool's when it has its own DP.
    /// </summary>
    public IEnumerable<(Parallelism Layout, string Field)> Layouts()
    {
        if (!PoolDp)
        {
            yield return (new Parallelism(1, TensorParallel, PipelineParallel, ExpertParallel, DataParallel),
                "candidates");
            yield break;
        }
        foreach (var (dp, name) in new[] { (PrefillData, "prefill"), (DecodeData, "decode") })
            yield return (new Parallelism(1, TensorParallel, PipelineParallel,
                ExpertParallel > 1 ? TensorParallel * dp : 1, dp), $"candidates.disaggregation.{name}");
    }
}

/// <summary>A disaggregated pool's own accelerator and its price (the request's, else the catalog's).</summary>
internal sealed record PoolAccelerator(AcceleratorInfo Accelerator, double Price, bool PriceGiven);

/// <summary>A combination of the candidate lists that does not suit the model.</summary>
internal sealed record InvalidLayout(CandidateLayout Layout, string Field, string Reason);

/// <summary>
/// Every combination of the candidate lists, unset lists taking their defaults: tensor parallel every power of two up
/// to the accelerator's scale-up domain that suits the model's heads; pipeline, data parallel 1; expert parallel 1
/// and, for MoE models, TP × DP; engine-default batch caps; colocated. A combination given explicitly that does not
/// suit the model is kept as invalid (the answer lists it); default values that do not suit it are not tried.
/// </summary>
internal static class CandidateLayouts
{
    public static (List<CandidateLayout> Valid, List<InvalidLayout> Invalid) Expand(CapacityCandidates c,
        ModelArchitecture model, IReadOnlyList<AcceleratorInfo> accelerators, IDictionary<string, double> prices,
        IReadOnlyDictionary<string, AcceleratorInfo> poolAccelerators)
    {
        var valid = new List<CandidateLayout>();
        var invalid = new List<InvalidLayout>();
        int[] pps = Or(c.PipelineParallel, 1), dps = Or(c.DataParallel, 1), seqs = Or(c.MaxNumSeqs, 0);
        long[] tokens = c.MaxNumBatchedTokens.Count > 0 ? c.MaxNumBatchedTokens.Distinct().ToArray() : [0];
        var ratios = c.Disaggregation.Count > 0
            ? c.Disaggregation.Select(r => (r.Prefill, r.Decode, On(r.PrefillAccelerator), On(r.DecodeAccelerator),
                    r.Prefill > 0 ? r.PrefillDataParallel : 0, r.Prefill > 0 ? r.DecodeDataParallel : 0))
                .Distinct().ToArray()
            : [(0, 0, null, null, 0, 0)];
        PoolAccelerator? On(string id)
        {
            if (string.IsNullOrWhiteSpace(id)) return null;
            var a = poolAccelerators[id.Trim()];
            bool given = TryPrice(prices, a.Id, out double p);
            return new PoolAccelerator(a, given ? p : a.PriceUsdPerHour, given);
        }
        foreach (var acc in accelerators.DistinctBy(a => a.Id, StringComparer.OrdinalIgnoreCase))
        {
            bool priced = TryPrice(prices, acc.Id, out double price);
            foreach (int tp in c.TensorParallel.Count > 0 ? c.TensorParallel.Distinct() : DefaultTp(model, acc))
                foreach (int pp in pps)
                    foreach (int dp in dps)
                        foreach (var (p, d, pOn, dOn, pDp, dDp) in ratios)
                            foreach (int ep in c.ExpertParallel.Count > 0 ? c.ExpertParallel.Distinct().ToArray()
                                         : !model.IsMoe ? [1]
                                         : tp * dp > 1 ? [1, tp * dp]
                                         : pDp > 0 || dDp > 0 ? [1, 2] // experts over each pool's ranks
                                         : [1])
                                foreach (int s in seqs)
                                    foreach (long t in tokens)
                                    {
                                        var l = new CandidateLayout(acc, tp, pp, ep, dp, s, t, p, d,
                                            priced ? price : acc.PriceUsdPerHour, priced, pOn, dOn, pDp, dDp);
                                        if (Check(l, model) is { } bad) invalid.Add(bad);
                                        else valid.Add(l);
                                    }
        }
        return (valid, invalid);
    }

    /// <summary>Combinations the lists give (defaults included), before any is tried.</summary>
    public static long Count(CapacityCandidates c, ModelArchitecture model, IReadOnlyList<AcceleratorInfo> accs)
    {
        long perTp = Math.Max(1, c.PipelineParallel.Distinct().Count()) * Math.Max(1, c.DataParallel.Distinct().Count())
            * Math.Max(1, c.MaxNumSeqs.Distinct().Count()) * Math.Max(1, c.MaxNumBatchedTokens.Distinct().Count())
            * Math.Max(1, c.Disaggregation.Distinct().Count())
            * (c.ExpertParallel.Count > 0 ? c.ExpertParallel.Distinct().Count() : model.IsMoe ? 2 : 1);
        return accs.DistinctBy(a => a.Id, StringComparer.OrdinalIgnoreCase).Sum(a =>
            perTp * (c.TensorParallel.Count > 0 ? c.TensorParallel.Distinct().Count() : DefaultTp(model, a).Count()));
    }

    private static int[] Or(IEnumerable<int> values, int fallback)
    {
        var v = values.Distinct().ToArray();
        return v.Length > 0 ? v : [fallback];
    }

    private static bool TryPrice(IDictionary<string, double> prices, string id, out double price)
    {
        foreach (var (k, v) in prices)
            if (string.Equals(k.Trim(), id, StringComparison.OrdinalIgnoreCase)) { price = v; return true; }
        price = 0;
        return false;
    }

    /// <summary>Powers of two up to the accelerator's scale-up domain (one node) that suit the model's heads.
    /// </summary>
    private static IEnumerable<int> DefaultTp(ModelArchitecture model, AcceleratorInfo acc)
    {
        for (int tp = 1; tp <= Math.Max(1, acc.ScaleUpDomain); tp *= 2)
        {
            bool ok = true;
            try { new Parallelism(1, tp, 1, 1, 1).Validate(model, "deployment"); }
            catch (InvalidFieldException) { ok = false; }
            if (ok) yield return tp;
        }
    }

    private static InvalidLayout? Check(CandidateLayout l, ModelArchitecture model)
    {
        try
        {
            foreach (var (layout, field) in l.Layouts()) layout.Validate(model, field);
            return null;
        }
        catch (PlatformException e) when (e is InvalidFieldException or LimitExceededException)
        {
            return new InvalidLayout(l, e.Field, e.Reason);
        }
    }
}
