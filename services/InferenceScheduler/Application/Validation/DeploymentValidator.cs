using System.Linq.Expressions;
using FluentValidation;
using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Application.Validation;

/// <summary>
/// A deployment's own fields: the accelerator named, degrees, batch limits and shares in range, number formats the
/// simulator models, known policies. Whether the layout suits the model (heads, layers, experts), the weights and KV
/// cache fit, and enough SMs are left for compute is checked when the simulation is planned.
/// </summary>
public sealed class DeploymentValidator : AbstractValidator<Deployment>
{
    /// <summary>The largest <c>max_num_batched_tokens</c> a step takes.</summary>
    public const long MaxBatchedTokens = int.MaxValue / 2;

    public DeploymentValidator()
    {
        RuleFor(x => x.Accelerator).Must(a => !string.IsNullOrWhiteSpace(a)).WithMessage("is required (e.g. \"h800\")")
            .ProtoName("accelerator");
        RuleFor(x => x.Replicas).GreaterThanOrEqualTo(0).WithMessage("must be at least 1").ProtoName("replicas");
        PoolSpecValidator.Degrees(this, x => x.TensorParallel, x => x.PipelineParallel, x => x.ExpertParallel,
            x => x.DataParallel);
        PoolSpecValidator.BatchLimits(this, x => x.MaxNumSeqs, x => x.MaxNumBatchedTokens);
        RuleFor(x => x.LongPrefillTokenThreshold).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("long_prefill_token_threshold");
        RuleFor(x => x.KvCacheDtype).Must(Modelled)
            .WithMessage((_, d) => $"{d} is not supported (BF16, FP16, FP8, FP32)").ProtoName("kv_cache_dtype");
        RuleFor(x => x.WeightDtype).Must(Modelled)
            .WithMessage((_, d) => $"{d} is not supported (BF16, FP16, FP8, FP32)").ProtoName("weight_dtype");
        RuleFor(x => x.GpuMemoryUtilization).Must(u => u == 0 || (u > 0 && u <= 1)).WithMessage("must be in (0, 1]")
            .ProtoName("gpu_memory_utilization");
        RuleFor(x => x.BlockSize).Must(b => b == 0 || (b > 0 && WorkloadSource.HashBlockTokens % b == 0))
            .WithMessage($"must be a positive divisor of {WorkloadSource.HashBlockTokens}").ProtoName("block_size");
        RuleFor(x => x.SchedulingPolicy).Must(ProtoEnums.IsDefined).WithMessage((_, p) => $"unknown value {(int)p}")
            .ProtoName("scheduling_policy");
        RuleFor(x => x.BatchingPolicy).Must(ProtoEnums.IsDefined).WithMessage((_, p) => $"unknown value {(int)p}")
            .ProtoName("batching_policy");
        RuleFor(x => x.Router).Must(ProtoEnums.IsDefined).WithMessage((_, p) => $"unknown value {(int)p}")
            .ProtoName("router");
        RuleFor(x => x.Disaggregation).SetValidator(new DisaggregationValidator()).ProtoName("disaggregation");
        RuleFor(x => x.ExpertImbalance).Must(v => v == 0 || (v >= 1 && double.IsFinite(v)))
            .WithMessage("must be at least 1 (busiest rank over mean)").AtMost(1000, "")
            .ProtoName("expert_imbalance");
        RuleFor(x => x.AcceleratorHourUsd).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(1e6, "USD per hour")
            .ProtoName("accelerator_hour_usd");
        RuleFor(x => x.PriorityClasses).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("priority_classes");
        RuleFor(x => x.CommunicationSms).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("communication_sms");
        RuleFor(x => x.Speculative).SetValidator(new SpeculativeDecodingValidator()).ProtoName("speculative");
    }

    /// <summary>The number formats the simulator models; unspecified takes the model's default.</summary>
    private static bool Modelled(Dtype d) =>
        d is Dtype.Unspecified or Dtype.Bf16 or Dtype.Fp16 or Dtype.Fp8E4M3 or Dtype.Fp8E5M2 or Dtype.Fp32;
}

/// <summary>Prefill and decode pools, and the bandwidth the KV cache moves over between them.</summary>
public sealed class DisaggregationValidator : AbstractValidator<Disaggregation>
{
    public DisaggregationValidator()
    {
        RuleFor(x => x.Prefill).SetValidator(new PoolSpecValidator()).ProtoName("prefill");
        RuleFor(x => x.Decode).SetValidator(new PoolSpecValidator()).ProtoName("decode");
        RuleFor(x => x.KvTransferGbps).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(1e6, "GB/s")
            .ProtoName("kv_transfer_gbps");
    }
}

/// <summary>A pool's overrides of the deployment's layout and batch limits; 0 keeps the deployment's value.</summary>
public sealed class PoolSpecValidator : AbstractValidator<PoolSpec>
{
    public PoolSpecValidator()
    {
        RuleFor(x => x.Replicas).GreaterThanOrEqualTo(0).WithMessage("must not be negative").ProtoName("replicas");
        Degrees(this, x => x.TensorParallel, x => x.PipelineParallel, x => x.ExpertParallel, x => x.DataParallel);
        BatchLimits(this, x => x.MaxNumSeqs, x => x.MaxNumBatchedTokens);
        RuleFor(x => x.Accelerator).MaximumLength(128)
            .WithMessage("must be an accelerator id of at most 128 characters").ProtoName("accelerator");
        RuleFor(x => x.AcceleratorHourUsd).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(1e6, "USD per hour").ProtoName("accelerator_hour_usd");
    }

    /// <summary>Parallel degrees: at least 1, or 0 for the default.</summary>
    internal static void Degrees<T>(AbstractValidator<T> v, Expression<Func<T, int>> tp, Expression<Func<T, int>> pp,
        Expression<Func<T, int>> ep, Expression<Func<T, int>> dp)
    {
        Degree(v, tp, "tensor_parallel");
        Degree(v, pp, "pipeline_parallel");
        Degree(v, ep, "expert_parallel");
        Degree(v, dp, "data_parallel");
    }

    private static void Degree<T>(AbstractValidator<T> v, Expression<Func<T, int>> degree, string name) =>
        v.RuleFor(degree).GreaterThanOrEqualTo(0)
            .WithMessage((_, d) => $"must be at least 1, or 0 for the default (got {d})").ProtoName(name);

    /// <summary>
    /// vLLM's <c>max_num_seqs</c> and <c>max_num_batched_tokens</c>; 0 takes the accelerator's default.
    /// </summary>
    internal static void BatchLimits<T>(AbstractValidator<T> v, Expression<Func<T, int>> seqs,
        Expression<Func<T, long>> tokens)
    {
        v.RuleFor(seqs).GreaterThanOrEqualTo(0)
            .WithMessage((_, s) => $"must be positive, or 0 for the default (got {s})").ProtoName("max_num_seqs");
        v.RuleFor(tokens).InclusiveBetween(0, DeploymentValidator.MaxBatchedTokens)
            .WithMessage((_, t) => $"must be positive and at most {DeploymentValidator.MaxBatchedTokens}, "
                + $"or 0 for the default (got {t})")
            .ProtoName("max_num_batched_tokens");
    }
}

/// <summary>Speculative decoding: draft tokens 0 (off) to <see cref="Domain.Simulation.SpeculativeDecoding
/// .MaxDraftTokens"/>, an acceptance rate in [0, 1].</summary>
public sealed class SpeculativeDecodingValidator : AbstractValidator<SpeculativeDecoding>
{
    public SpeculativeDecodingValidator()
    {
        RuleFor(x => x.DraftTokens).InclusiveBetween(0, Domain.Simulation.SpeculativeDecoding.MaxDraftTokens)
            .WithMessage((_, k) =>
                $"must be 1..{Domain.Simulation.SpeculativeDecoding.MaxDraftTokens}, or 0 for off (got {k})")
            .ProtoName("draft_tokens");
        RuleFor(x => x.AcceptanceRate).Must(p => p is >= 0 and <= 1)
            .WithMessage((_, p) => $"must be in [0, 1] (got {p})").ProtoName("acceptance_rate");
    }
}
