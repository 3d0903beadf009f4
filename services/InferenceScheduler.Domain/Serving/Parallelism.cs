using Platform.Modeling;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Serving;

/// <summary>Numeric formats of weights and KV cache as the simulator needs them.</summary>
public enum NumberFormat { Bf16, Fp16, Fp8, Fp32 }

/// <summary>Hardware facts of one accelerator (from the emulator's catalog).</summary>
public sealed record AcceleratorInfo(
    string Id, double HbmGiB, double HbmTbps, double ScaleUpGBps, double ScaleOutGBps, int ScaleUpDomain,
    double PriceUsdPerHour, double ScaleOutLatencyUs = 2,
    int ComputeUnits = 0);

/// <summary>
/// Parallel layout of one serving instance pool. An instance is what one vLLM engine core schedules:
/// TP x PP accelerators with one KV cache. <see cref="DataParallel"/> instances share one expert-parallel
/// group (DeepSeek's DP attention + EP experts), so a replica has DP x TP x PP accelerators.
/// </summary>
public sealed record Parallelism(int Replicas, int TensorParallel, int PipelineParallel, int ExpertParallel,
    int DataParallel)
{
    public int AcceleratorsPerInstance => TensorParallel * PipelineParallel;
    public int AcceleratorsPerReplica => AcceleratorsPerInstance * DataParallel;
    public int Instances => Replicas * DataParallel;
    public int Accelerators => Replicas * AcceleratorsPerReplica;

    /// <summary>
    /// Routed experts held per EP rank: ceil(E / EP). When EP does not divide E the spare slots hold redundant copies
    /// of hot experts (DeepSeek's EPLB: 256 experts + 32 redundant on EP144 = 2 per GPU).
    /// </summary>
    public static long ExpertsPerRank(long experts, int ep) => (experts + ep - 1) / ep;

    /// <summary>Checks the layout against the model; field names are request paths under
    /// <paramref name="prefix"/>.</summary>
    /// <summary>Most serving instances (replicas × data-parallel ranks) one pool may simulate.</summary>
    public const int MaxInstances = 65_536;

    /// <summary>Most accelerators one instance may span (tensor × pipeline parallel).</summary>
    public const int MaxAcceleratorsPerInstance = 4_096;

    public void Validate(ModelArchitecture m, string prefix)
    {
        long instances = (long)Replicas * DataParallel;
        if (instances > MaxInstances)
            throw new LimitExceededException($"{prefix}.replicas",
                $"{Replicas:N0} replicas x {DataParallel:N0} data-parallel ranks = {instances:N0} instances, more than "
                + $"the {MaxInstances:N0} one pool may simulate", instances, MaxInstances);
        long perInstance = (long)TensorParallel * PipelineParallel;
        if (perInstance > MaxAcceleratorsPerInstance)
            throw new LimitExceededException($"{prefix}.tensor_parallel",
                $"tensor x pipeline parallel = {perInstance:N0} accelerators per instance, more than "
                + $"{MaxAcceleratorsPerInstance:N0}", perInstance, MaxAcceleratorsPerInstance);
        if (Replicas < 1) throw new InvalidFieldException($"{prefix}.replicas", "must be at least 1");
        if (TensorParallel < 1) throw new InvalidFieldException($"{prefix}.tensor_parallel", "must be at least 1");
        if (PipelineParallel < 1) throw new InvalidFieldException($"{prefix}.pipeline_parallel", "must be at least 1");
        if (DataParallel < 1) throw new InvalidFieldException($"{prefix}.data_parallel", "must be at least 1");
        if (m.NumAttentionHeads % TensorParallel != 0)
            throw new InvalidFieldException($"{prefix}.tensor_parallel",
                $"{TensorParallel} does not divide the model's {m.NumAttentionHeads} attention heads");
        if (m.Mla is null && m.KvHeads % TensorParallel != 0 && TensorParallel % m.KvHeads != 0)
            throw new InvalidFieldException($"{prefix}.tensor_parallel",
                $"{TensorParallel} and the model's {m.KvHeads} KV heads must divide one another");
        if (m.NumLayers < PipelineParallel)
            throw new InvalidFieldException($"{prefix}.pipeline_parallel",
                $"{PipelineParallel} stages exceed the model's {m.NumLayers} layers");
        if (ExpertParallel > 1)
        {
            if (!m.IsMoe) throw new InvalidFieldException($"{prefix}.expert_parallel", "the model has no experts");
            if (ExpertParallel != TensorParallel * DataParallel)
                throw new InvalidFieldException($"{prefix}.expert_parallel",
                    $"must equal tensor_parallel x data_parallel = {TensorParallel * DataParallel} (vLLM's EP layout)");
            if (ExpertParallel > m.Moe!.RoutedExperts * 2)
                throw new InvalidFieldException($"{prefix}.expert_parallel",
                    $"{ExpertParallel} ranks exceed twice the model's {m.Moe.RoutedExperts} routed experts");
        }
    }
}
