using FluentValidation;
using Platform.Contracts.Emulator.V1;
using Platform.ServiceDefaults.Validation;

namespace HardwareEmulator.Mapping.Validation;

/// <summary>
/// RunKernel: a device, one kernel with a well-formed shape, a dtype, input tensors with positive dimensions. Whether
/// the inputs match the kernel's shapes and fit in device memory, and whether the device supports the dtype, is the
/// domain's check; the request's size in bytes is checked before it is read (ResourceExhausted).
/// </summary>
public sealed class RunKernelRequestValidator : AbstractValidator<RunKernelRequest>
{
    private const string KernelRequired =
        "is required: one of gemm, grouped_gemm, attention, softmax, norm, activation, rope, moe_gating, quantize, "
        + "dequantize";

    public RunKernelRequestValidator()
    {
        EmulatorValidators.DeviceId(this, x => x.Device);
        RuleFor(x => x.Kernel).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage(KernelRequired)
            .Must(k => k.KernelCase != Kernel.KernelOneofCase.None).WithMessage(KernelRequired)
            .SetValidator(new KernelValidator())
            .ProtoName("kernel");
        RuleFor(x => x.Dtype).Must(d => EmulatorValidators.KnownDtype(d, optional: false))
            .WithMessage((_, d) => EmulatorValidators.DtypeMessage(d))
            .ProtoName("dtype");
        RuleForEach(x => x.Inputs).SetValidator(new TensorValidator()).ProtoName("inputs");
    }
}

/// <summary>
/// An input tensor: every dimension positive (whether its values match the shape is the runner's check).
/// </summary>
public sealed class TensorValidator : AbstractValidator<Tensor>
{
    public TensorValidator() =>
        RuleFor(x => x.Shape).Must(s => s.All(d => d > 0)).WithMessage((_, s) => FirstBad(s)).ProtoName("shape");

    private static string FirstBad(IList<long> shape)
    {
        int i = 0;
        while (i < shape.Count - 1 && shape[i] > 0) i++;
        return $"dimension {i} is {shape[i]}; dimensions must be positive";
    }
}

/// <summary>
/// The kernel oneof: the matrix kernels share the op rules of EstimateOps; the rest are RunKernel's own.
/// </summary>
public sealed class KernelValidator : AbstractValidator<Kernel>
{
    public KernelValidator()
    {
        RuleFor(x => x.Gemm).SetValidator(OpSpecValidator.MatrixRules()).ProtoName("gemm");
        RuleFor(x => x.GroupedGemm).SetValidator(OpSpecValidator.GroupedMatrixRules()).ProtoName("grouped_gemm");
        RuleFor(x => x.Attention).SetValidator(OpSpecValidator.AttentionRules()).ProtoName("attention");
        RuleFor(x => x.Attention.QueryLen).Must((x, q) => q <= x.Attention.KvLen)
            .When(x => x.Attention is { Causal: true })
            .WithMessage(x => $"must not exceed kv_len ({x.Attention.KvLen}) when causal: "
                + "queries are the last positions of the sequence")
            .ProtoName("attention.query_len");
        RuleFor(x => x.Softmax).SetValidator(new RowsValidator<SoftmaxKernel>(x => x.Rows, x => x.Cols))
            .ProtoName("softmax");
        RuleFor(x => x.Norm).SetValidator(new NormKernelValidator()).ProtoName("norm");
        RuleFor(x => x.Activation).SetValidator(new ActivationKernelValidator()).ProtoName("activation");
        RuleFor(x => x.Rope).SetValidator(new RopeKernelValidator()).ProtoName("rope");
        RuleFor(x => x.MoeGating).SetValidator(new MoeGatingKernelValidator()).ProtoName("moe_gating");
        RuleFor(x => x.Quantize)
            .SetValidator(new QuantizeValidator<QuantizeKernel>(x => x.Rows, x => x.Cols, x => x.Block))
            .ProtoName("quantize");
        RuleFor(x => x.Dequantize)
            .SetValidator(new QuantizeValidator<DequantizeKernel>(x => x.Rows, x => x.Cols, x => x.Block))
            .ProtoName("dequantize");
    }
}

/// <summary>A kernel over a rows × cols matrix.</summary>
public class RowsValidator<T> : AbstractValidator<T>
{
    public RowsValidator(System.Linq.Expressions.Expression<Func<T, long>> rows,
        System.Linq.Expressions.Expression<Func<T, long>> cols)
    {
        OpSpecValidator.Positive(this, rows, "rows");
        OpSpecValidator.Positive(this, cols, "cols");
    }
}

public sealed class NormKernelValidator : RowsValidator<NormKernel>
{
    public NormKernelValidator() : base(x => x.Rows, x => x.Cols)
    {
        RuleFor(x => x.Kind).Must(k => k is NormKind.Rmsnorm or NormKind.Layernorm)
            .WithMessage("is required (NORM_KIND_RMSNORM or NORM_KIND_LAYERNORM)").ProtoName("kind");
        RuleFor(x => x.Epsilon).Must(e => e >= 0 && e <= 1)
            .WithMessage((_, e) => $"must be 0–1 (got {e})")
            .ProtoName("epsilon");
    }
}

public sealed class ActivationKernelValidator : RowsValidator<ActivationKernel>
{
    public ActivationKernelValidator() : base(x => x.Rows, x => x.Cols) =>
        RuleFor(x => x.Kind).Must(k => k is ActivationKind.Silu or ActivationKind.Gelu or ActivationKind.Swiglu)
            .WithMessage("is required (ACTIVATION_KIND_SILU, _GELU or _SWIGLU)").ProtoName("kind");
}

/// <summary>Rotary embedding: an even head_dim, theta 0 = 10000.</summary>
public sealed class RopeKernelValidator : AbstractValidator<RopeKernel>
{
    public RopeKernelValidator()
    {
        OpSpecValidator.Positive(this, x => x.Tokens, "tokens");
        OpSpecValidator.Positive(this, x => x.Heads, "heads");
        RuleFor(x => x.HeadDim).Cascade(CascadeMode.Stop)
            .GreaterThan(0).WithMessage((_, d) => $"must be positive (got {d})")
            .Must(d => d % 2 == 0).WithMessage((_, d) => $"must be even (got {d})")
            .ProtoName("head_dim");
        RuleFor(x => x.Theta).Must(t => double.IsFinite(t) && t >= 0)
            .WithMessage((_, t) => $"must be positive (got {t})")
            .Must(t => !double.IsFinite(t) || t <= 1e12).WithMessage((_, t) => $"must be at most 1e12 (got {t})")
            .ProtoName("theta");
        RuleFor(x => x.PositionOffset).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .LessThanOrEqualTo(1L << 30).WithMessage((_, p) => $"must be at most 2^30 (got {p})")
            .ProtoName("position_offset");
    }
}

/// <summary>
/// MoE routing: top_k of experts, optionally within the best topk_group of n_group groups (DeepSeek's routing).
/// </summary>
public sealed class MoeGatingKernelValidator : AbstractValidator<MoeGatingKernel>
{
    public MoeGatingKernelValidator()
    {
        OpSpecValidator.Positive(this, x => x.Tokens, "tokens");
        RuleFor(x => x.Experts).GreaterThan(0).WithMessage((_, e) => $"must be positive (got {e})")
            .LessThanOrEqualTo(MaxExperts).WithMessage((_, e) => $"must be at most {MaxExperts:N0} (got {e:N0})")
            .ProtoName("experts");
        RuleFor(x => x.TopK).Cascade(CascadeMode.Stop)
            .GreaterThan(0).WithMessage((_, k) => $"must be positive (got {k})")
            .Must((x, k) => k <= x.Experts).WithMessage(x => $"must not exceed experts ({x.Experts})")
            .ProtoName("top_k");
        RuleFor(x => x.NGroup).Must((x, g) => g >= 0 && x.Experts % Groups(x) == 0)
            .When(x => x.Experts > 0 && x.Experts <= MaxExperts)
            .WithMessage(x => $"must divide experts ({x.Experts})").ProtoName("n_group");
        RuleFor(x => x.TopkGroup).Cascade(CascadeMode.Stop)
            .Must((x, _) => Keep(x) >= 1 && Keep(x) <= Groups(x))
            .WithMessage(x => $"must be within 1..n_group ({Groups(x)})")
            .Must((x, _) => Keep(x) * (x.Experts / Groups(x)) >= x.TopK)
            .WithMessage(x => $"keeps too few experts for top_k = {x.TopK}")
            .When(x => x.Experts > 0 && x.NGroup >= 0 && x.Experts % Groups(x) == 0)
            .ProtoName("topk_group");
        RuleFor(x => x.RoutedScalingFactor).Must(f => double.IsFinite(f) && f >= 0)
            .WithMessage("must be finite and non-negative")
            .Must(f => !double.IsFinite(f) || f <= 1000).WithMessage((_, f) => $"must be at most 1,000 (got {f})")
            .ProtoName("routed_scaling_factor");
    }

    /// <summary>Most experts a gating kernel routes over.</summary>
    public const long MaxExperts = 65_536;

    private static long Groups(MoeGatingKernel g) => Math.Max(1, g.NGroup);
    private static long Keep(MoeGatingKernel g) => g.TopkGroup == 0 ? Groups(g) : g.TopkGroup;
}

/// <summary>Block (de)quantization of a rows × cols matrix; block 0 = 128.</summary>
public sealed class QuantizeValidator<T> : RowsValidator<T>
{
    public QuantizeValidator(System.Linq.Expressions.Expression<Func<T, long>> rows,
        System.Linq.Expressions.Expression<Func<T, long>> cols,
        System.Linq.Expressions.Expression<Func<T, long>> block) : base(rows, cols) =>
        RuleFor(block).GreaterThanOrEqualTo(0).WithMessage("must not be negative (0 means 128)").ProtoName("block");
}
