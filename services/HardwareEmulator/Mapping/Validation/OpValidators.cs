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
        RuleFor(x => x.Kernels).IsInEnum().WithMessage("is not a kernel set (KERNEL_SET_CATALOG or _SERVING)")
            .ProtoName("kernels");
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
        RuleFor(x => x.Gemm).SetValidator(MatrixRules()).ProtoName("gemm");
        RuleFor(x => x.GroupedGemm).SetValidator(GroupedMatrixRules()).ProtoName("grouped_gemm");
        RuleFor(x => x.Attention).SetValidator(AttentionRules()).ProtoName("attention");
        RuleFor(x => x.Elementwise).SetValidator(ElementwiseRules()).ProtoName("elementwise");
        RuleFor(x => x.Collective).SetValidator(CollectiveRules()).ProtoName("collective");
    }

    /// <summary>A (batched) GEMM: m × k by k × n, batch 0 = 1.</summary>
    internal static IValidator<GemmOp> MatrixRules()
    {
        var v = new InlineValidator<GemmOp>();
        Positive(v, x => x.M, "m");
        Positive(v, x => x.N, "n");
        Positive(v, x => x.K, "k");
        v.RuleFor(x => x.Batch).GreaterThanOrEqualTo(0).WithMessage("must not be negative").ProtoName("batch");
        return v;
    }

    /// <summary>A grouped GEMM (MoE experts): rows per group (0 for an idle expert), shared n and k.</summary>
    internal static IValidator<GroupedGemmOp> GroupedMatrixRules()
    {
        var v = new InlineValidator<GroupedGemmOp>();
        v.RuleFor(x => x.MPerGroup.Count).GreaterThan(0).WithMessage("needs at least one group")
            .ProtoName("m_per_group");
        v.RuleForEach(x => x.MPerGroup).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("m_per_group");
        Positive(v, x => x.N, "n");
        Positive(v, x => x.K, "k");
        return v;
    }

    /// <summary>
    /// Attention: sizes positive, head_dim_v 0 = head_dim_qk, num_kv_heads (0 = num_heads) dividing num_heads.
    /// </summary>
    internal static IValidator<AttentionOp> AttentionRules()
    {
        var v = new InlineValidator<AttentionOp>();
        Positive(v, x => x.Batch, "batch");
        Positive(v, x => x.QueryLen, "query_len");
        Positive(v, x => x.KvLen, "kv_len");
        Positive(v, x => x.NumHeads, "num_heads");
        Positive(v, x => x.HeadDimQk, "head_dim_qk");
        v.RuleFor(x => x.HeadDimV).GreaterThanOrEqualTo(0).WithMessage("must not be negative (0 means head_dim_qk)")
            .ProtoName("head_dim_v");
        v.RuleFor(x => x.NumKvHeads).Must((x, kv) => kv == 0 || (kv > 0 && x.NumHeads % kv == 0))
            .When(x => x.NumHeads > 0)
            .WithMessage(x => $"must divide num_heads ({x.NumHeads})").ProtoName("num_kv_heads");
        return v;
    }

    /// <summary>A memory-bound elementwise op over a number of elements.</summary>
    internal static IValidator<ElementwiseOp> ElementwiseRules()
    {
        var v = new InlineValidator<ElementwiseOp>();
        v.RuleFor(x => x.Kind).Must(k => k != ElementwiseKind.Unspecified && ProtoEnums.IsDefined(k))
            .WithMessage("is required (e.g. ELEMENTWISE_KIND_RMSNORM)").ProtoName("kind");
        Positive(v, x => x.Elements, "elements");
        v.RuleFor(x => x.Rows).Must((op, rows) => rows >= 0 && rows <= Math.Max(0, op.Elements))
            .WithMessage("must be between 0 (not stated) and elements").ProtoName("rows");
        return v;
    }

    /// <summary>A collective: kind, bytes per rank, ranks (ranks_per_node 0 = the device's scale-up domain).</summary>
    internal static IValidator<CollectiveOp> CollectiveRules()
    {
        var v = new InlineValidator<CollectiveOp>();
        v.RuleFor(x => x.Kind).Must(k => k != CollectiveKind.Unspecified && ProtoEnums.IsDefined(k))
            .WithMessage("is required (e.g. COLLECTIVE_KIND_ALL_REDUCE)").ProtoName("kind");
        Positive(v, x => x.Bytes, "bytes");
        v.RuleFor(x => x.Ranks).GreaterThan(0).WithMessage((_, r) => $"must be positive (got {r})").ProtoName("ranks");
        v.RuleFor(x => x.RanksPerNode).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("ranks_per_node");
        return v;
    }

    /// <summary>A size that must be at least one.</summary>
    internal static void Positive<T>(AbstractValidator<T> v, System.Linq.Expressions.Expression<Func<T, long>> size,
        string name) =>
        v.RuleFor(size).GreaterThan(0).WithMessage((_, s) => $"must be positive (got {s})").ProtoName(name);
}
