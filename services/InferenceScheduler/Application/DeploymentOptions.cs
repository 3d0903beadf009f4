using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;
using ModelArchitecture = Platform.Modeling.ModelArchitecture;

namespace InferenceScheduler.Application;

/// <summary>
/// Model and layout settings of a deployment shared by its pools: number formats, memory share, KV block size, expert
/// imbalance and the base parallel layout a pool spec may override. The deployment's fields have been checked by
/// <see cref="Validation.DeploymentValidator"/>; <see cref="Read"/> checks what needs the accelerator.
/// </summary>
internal sealed record DeploymentOptions(
    NumberFormat Weights, NumberFormat Kv, double MemoryUtilization, int BlockSize, double ExpertImbalance,
    Parallelism BaseLayout)
{
    public static DeploymentOptions Read(Deployment dep, ModelArchitecture model, AcceleratorInfo acc)
    {
        var weights = Format(dep.WeightDtype, "deployment.weight_dtype",
            model.ModelType.StartsWith("deepseek_v3", StringComparison.OrdinalIgnoreCase)
                ? NumberFormat.Fp8
                : NumberFormat.Bf16);
        var kv = Format(dep.KvCacheDtype, "deployment.kv_cache_dtype", NumberFormat.Bf16);
        double util = dep.GpuMemoryUtilization == 0 ? 0.9 : dep.GpuMemoryUtilization;
        int blockSize = dep.BlockSize == 0 ? 16 : dep.BlockSize;
        double imbalance = dep.ExpertImbalance == 0 ? 1.0 : dep.ExpertImbalance;
        if (acc.ComputeUnits > 0 && dep.CommunicationSms >= acc.ComputeUnits)
            throw new InvalidFieldException("deployment.communication_sms",
                $"must leave compute units for compute ({acc.Id} has {acc.ComputeUnits})");

        var baseLayout = new Parallelism(dep.Replicas == 0 ? 1 : dep.Replicas, Or1(dep.TensorParallel),
            Or1(dep.PipelineParallel), Or1(dep.ExpertParallel), Or1(dep.DataParallel));
        return new DeploymentOptions(weights, kv, util, blockSize, imbalance, baseLayout);
    }

    /// <summary>
    /// A pool's layout: its spec's non-zero fields over the base layout. Giving TP or DP without EP resets the base's
    /// EP (and TP without DP its DP) to 1, so a pool spec describes a whole layout rather than a mix.
    /// </summary>
    public Parallelism PoolLayout(PoolSpec? spec) => spec is null ? BaseLayout : new Parallelism(
        spec.Replicas == 0 ? BaseLayout.Replicas : spec.Replicas,
        spec.TensorParallel == 0 ? BaseLayout.TensorParallel : spec.TensorParallel,
        spec.PipelineParallel == 0 ? BaseLayout.PipelineParallel : spec.PipelineParallel,
        spec.ExpertParallel == 0
            ? (spec.DataParallel == 0 && spec.TensorParallel == 0 ? BaseLayout.ExpertParallel : 1)
            : spec.ExpertParallel,
        spec.DataParallel == 0 ? (spec.TensorParallel == 0 ? BaseLayout.DataParallel : 1) : spec.DataParallel);

    private static int Or1(int v) => v == 0 ? 1 : v;

    private static NumberFormat Format(Dtype d, string field, NumberFormat fallback) => d switch
    {
        Dtype.Unspecified => fallback,
        Dtype.Bf16 => NumberFormat.Bf16,
        Dtype.Fp16 => NumberFormat.Fp16,
        Dtype.Fp8E4M3 or Dtype.Fp8E5M2 => NumberFormat.Fp8,
        Dtype.Fp32 => NumberFormat.Fp32,
        _ => throw new ArgumentOutOfRangeException(field, d,
            "not a modelled number format (DeploymentValidator refuses it)"),
    };
}
