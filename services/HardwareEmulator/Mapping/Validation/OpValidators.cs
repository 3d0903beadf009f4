using FluentValidation;
using FluentValidation.Results;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.ServiceDefaults.Validation;

namespace HardwareEmulator.Mapping.Validation;

/// <summary>
/// EstimateOps: a device, one to <see cref="MaxOpsPerRequest"/> ops (more is ResourceExhausted), each op well formed.
/// The per-op rules form the rule set <see cref="OpsRuleSet"/>: the service checks ops inline as it times them (the
/// hot path of a call with thousands of ops) and runs this rule set only when an op is bad, to report every bad op.
/// </summary>
public sealed class EstimateOpsRequestValidator : AbstractValidator<EstimateOpsRequest>
{
    public const string OpsRuleSet = "ops";

    public EstimateOpsRequestValidator(int maxOpsPerRequest)
    {
        MaxOpsPerRequest = maxOpsPerRequest;
        EmulatorValidators.DeviceId(this, x => x.Device);
        RuleFor(x => x.Ops.Count).Cascade(CascadeMode.Stop)
            .GreaterThan(0).WithMessage("needs at least one op")
            .LessThanOrEqualTo(maxOpsPerRequest)
            .WithMessage((_, n) => $"{n} ops exceed Emulator:MaxOpsPerRequest = {maxOpsPerRequest}")
            .AsLimit((_, n) => n, maxOpsPerRequest)
            .ProtoName("ops");
        RuleSet(OpsRuleSet, () => RuleForEach(x => x.Ops).SetValidator(new OpSpecValidator()).ProtoName("ops"));
    }

    public int MaxOpsPerRequest { get; }

    /// <summary>
    /// The whole request, every op included (the op validators' rules are in no rule set, so those run too).
    /// </summary>
    public ValidationResult ValidateOps(EstimateOpsRequest request) =>
        this.Validate(request, o => o.IncludeRuleSets(OpsRuleSet).IncludeRulesNotInRuleSet());
}

/// <summary>One op of EstimateOps: exactly one shape, its dtype (optional for collectives, which move bytes).</summary>
public sealed class OpSpecValidator : AbstractValidator<OpSpec>
{
    public OpSpecValidator()
    {
        RuleFor(x => x.OpCase).NotEqual(OpSpec.OpOneofCase.None)
            .WithMessage("one of gemm, grouped_gemm, attention, elementwise, collective is required").ProtoName("op");
        RuleFor(x => x.Dtype)
            .Must((x, d) => EmulatorValidators.KnownDtype(d, optional: x.OpCase == OpSpec.OpOneofCase.Collective))
            .When(x => x.OpCase != OpSpec.OpOneofCase.None).WithMessage((_, d) => EmulatorValidators.DtypeMessage(d))
            .ProtoName("dtype");
        RuleFor(x => x.Gemm).SetValidator(new GemmOpValidator()).ProtoName("gemm");
        RuleFor(x => x.GroupedGemm).SetValidator(new GroupedGemmOpValidator()).ProtoName("grouped_gemm");
        RuleFor(x => x.Attention).SetValidator(new AttentionOpValidator()).ProtoName("attention");
        RuleFor(x => x.Elementwise).SetValidator(new ElementwiseOpValidator()).ProtoName("elementwise");
        RuleFor(x => x.Collective).SetValidator(new CollectiveOpValidator()).ProtoName("collective");
    }

    /// <summary>A size that must be at least one.</summary>
    internal static void Positive<T>(AbstractValidator<T> v, System.Linq.Expressions.Expression<Func<T, long>> size,
        string name) =>
        v.RuleFor(size).GreaterThan(0).WithMessage((_, s) => $"must be positive (got {s})").ProtoName(name);
}

/// <summary>A (batched) GEMM: m × k by k × n, batch 0 = 1.</summary>
public sealed class GemmOpValidator : AbstractValidator<GemmOp>
{
    public GemmOpValidator()
    {
        OpSpecValidator.Positive(this, x => x.M, "m");
        OpSpecValidator.Positive(this, x => x.N, "n");
        OpSpecValidator.Positive(this, x => x.K, "k");
        RuleFor(x => x.Batch).GreaterThanOrEqualTo(0).WithMessage("must not be negative").ProtoName("batch");
    }
}

/// <summary>A grouped GEMM (MoE experts): rows per group (0 for an idle expert), shared n and k.</summary>
public sealed class GroupedGemmOpValidator : AbstractValidator<GroupedGemmOp>
{
    public GroupedGemmOpValidator()
    {
        RuleFor(x => x.MPerGroup.Count).GreaterThan(0).WithMessage("needs at least one group").ProtoName("m_per_group");
        RuleForEach(x => x.MPerGroup).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("m_per_group");
        OpSpecValidator.Positive(this, x => x.N, "n");
        OpSpecValidator.Positive(this, x => x.K, "k");
    }
}

/// <summary>
/// Attention: sizes positive, head_dim_v 0 = head_dim_qk, num_kv_heads (0 = num_heads) dividing num_heads.
/// </summary>
public sealed class AttentionOpValidator : AbstractValidator<AttentionOp>
{
    public AttentionOpValidator()
    {
        OpSpecValidator.Positive(this, x => x.Batch, "batch");
        OpSpecValidator.Positive(this, x => x.QueryLen, "query_len");
        OpSpecValidator.Positive(this, x => x.KvLen, "kv_len");
        OpSpecValidator.Positive(this, x => x.NumHeads, "num_heads");
        OpSpecValidator.Positive(this, x => x.HeadDimQk, "head_dim_qk");
        RuleFor(x => x.HeadDimV).GreaterThanOrEqualTo(0).WithMessage("must not be negative (0 means head_dim_qk)")
            .ProtoName("head_dim_v");
        RuleFor(x => x.NumKvHeads).Must((x, kv) => kv == 0 || (kv > 0 && x.NumHeads % kv == 0))
            .When(x => x.NumHeads > 0)
            .WithMessage(x => $"must divide num_heads ({x.NumHeads})").ProtoName("num_kv_heads");
    }
}

/// <summary>A memory-bound elementwise op over a number of elements.</summary>
public sealed class ElementwiseOpValidator : AbstractValidator<ElementwiseOp>
{
    public ElementwiseOpValidator()
    {
        RuleFor(x => x.Kind).Must(k => k != ElementwiseKind.Unspecified && ProtoEnums.IsDefined(k))
            .WithMessage("is required (e.g. ELEMENTWISE_KIND_RMSNORM)").ProtoName("kind");
        OpSpecValidator.Positive(this, x => x.Elements, "elements");
    }
}

/// <summary>A collective: kind, bytes per rank, ranks (ranks_per_node 0 = the device's scale-up domain).</summary>
public sealed class CollectiveOpValidator : AbstractValidator<CollectiveOp>
{
    public CollectiveOpValidator()
    {
        RuleFor(x => x.Kind).Must(k => k != CollectiveKind.Unspecified && ProtoEnums.IsDefined(k))
            .WithMessage("is required (e.g. COLLECTIVE_KIND_ALL_REDUCE)").ProtoName("kind");
        OpSpecValidator.Positive(this, x => x.Bytes, "bytes");
        RuleFor(x => x.Ranks).GreaterThan(0).WithMessage((_, r) => $"must be positive (got {r})").ProtoName("ranks");
        RuleFor(x => x.RanksPerNode).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("ranks_per_node");
    }
}
