using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Domain.Profiling;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Grpc;
using HardwareEmulator.Mapping.Validation;
using Microsoft.Extensions.Options;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;
using Phase = Platform.Contracts.Emulator.V1.Phase;

namespace HardwareEmulator.Tests.Mapping;

/// <summary>
/// The emulator's request validators name each bad field by its proto path and report every bad field at once.
/// </summary>
public sealed class ValidationTests
{
    private static IReadOnlyList<string> Fields<T>(FluentValidation.IValidator<T> validator, T request) =>
        Assert.Throws<InvalidFieldException>(() => validator.ThrowIfInvalid(request))
            .Violations.Select(v => v.Field).ToList();

    private static Device Custom() => new()
    {
        Id = "what-if-h800", PeakTflops = new DtypePeaks { Bf16 = 989.4, Fp16 = 989.4, Fp8 = 1978.9, Fp32 = 67 },
        HbmGb = 141, HbmTbps = 4.8, ScaleUpGbps = 200, ScaleOutGbps = 50, ComputeUnits = 132,
    };

    private static EmulatorGrpcService Service(int maxOps = 100_000)
    {
        var model = new TimingModel();
        var options = new EmulatorOptions { MaxOpsPerRequest = maxOps };
        return new EmulatorGrpcService(new DeviceCatalog(), model, new KernelRunner(model, options),
            new ModelProfiler(model), Options.Create(options));
    }

    private static OpSpec Gemm(long m, long n, long k) =>
        new() { Dtype = Dtype.Bf16, Gemm = new GemmOp { M = m, N = n, K = k } };

    [Fact]
    public void Valid_requests_pass()
    {
        EmulatorValidators.RegisterDevice.ThrowIfInvalid(new RegisterDeviceRequest { Device = Custom() });
        EmulatorValidators.EstimateOps(10)
            .ThrowIfInvalid(new EstimateOpsRequest { Device = "h800", Ops = { Gemm(1, 2, 3) } });
        EmulatorValidators.RunKernel.ThrowIfInvalid(new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Bf16,
            Kernel = new Kernel { Rope = new RopeKernel { Tokens = 4, Heads = 2, HeadDim = 64 } },
        });
        EmulatorValidators.ProfileModel.ThrowIfInvalid(new ProfileModelRequest
        {
            Device = "h800", Model = new ModelSpec { Preset = "llama-3.1-8b" }, Phase = Phase.Decode,
            Batch = 1, SequenceLength = 128,
        });
    }

    [Fact]
    public void A_device_reports_every_bad_field()
    {
        var d = Custom();
        d.Id = "Bad Id!";
        d.PeakTflops.Bf16 = -1;
        d.PeakTflops.Fp8 = double.NaN;
        d.HbmTbps = 0;
        d.ComputeUnits = -4;
        d.MemoryEfficiency = 1.5;
        Assert.Equal(["device.id", "device.peak_tflops.bf16", "device.peak_tflops.fp8", "device.hbm_tbps",
            "device.compute_units", "device.memory_efficiency"],
            Fields(EmulatorValidators.RegisterDevice, new RegisterDeviceRequest { Device = d }));
        var noPeaks = Custom();
        noPeaks.PeakTflops = new DtypePeaks { Int8 = 100 };
        Assert.Equal(["device.peak_tflops"],
            Fields(EmulatorValidators.RegisterDevice, new RegisterDeviceRequest { Device = noPeaks }));
        Assert.Equal(["device"], Fields(EmulatorValidators.RegisterDevice, new RegisterDeviceRequest()));
    }

    [Fact]
    public void Every_bad_op_is_named_by_its_index()
    {
        var request = new EstimateOpsRequest
        {
            Device = "h800",
            Ops =
            {
                Gemm(1, 2, 3),
                Gemm(1, 2, 0),
                new OpSpec
                {
                    Dtype = (Dtype)99,
                    Attention = new AttentionOp
                    {
                        Batch = 1, QueryLen = 1, KvLen = 8, NumHeads = 32, NumKvHeads = 5, HeadDimQk = 128,
                    },
                },
                new OpSpec
                {
                    Dtype = Dtype.Bf16, GroupedGemm = new GroupedGemmOp { MPerGroup = { 4, -1 }, N = 8, K = 8 },
                },
                new OpSpec { Collective = new CollectiveOp { Bytes = 0, Ranks = 8 } },
                new OpSpec { Dtype = Dtype.Bf16 },
            },
        };
        var all = EmulatorValidators.EstimateOps(100).ValidateOps(request);
        var ops = Assert.IsType<InvalidFieldException>(ValidationExtensions.ToException(all));
        Assert.Equal(["ops[1].gemm.k", "ops[2].dtype", "ops[2].attention.num_kv_heads",
            "ops[3].grouped_gemm.m_per_group[1]",
            "ops[4].collective.kind", "ops[4].collective.bytes", "ops[5].op"], ops.Violations.Select(v => v.Field));
        // The service checks ops inline on its fast path, then reports them all the same way.
        var e = Assert.Throws<InvalidFieldException>(() => Service().Estimate(request));
        Assert.Equal(7, e.Violations.Count);
        Assert.Equal("ops[1].gemm.k", e.Field);
    }

    [Fact]
    public void Elementwise_rows_must_lie_between_zero_and_the_elements()
    {
        OpSpec Norm(long rows) => new()
        {
            Dtype = Dtype.Bf16,
            Elementwise = new ElementwiseOp { Kind = ElementwiseKind.Rmsnorm, Elements = 4096, Rows = rows },
        };
        var request = new EstimateOpsRequest { Device = "a100-80gb", Ops = { Norm(1), Norm(-1), Norm(4097) } };
        var e = Assert.Throws<InvalidFieldException>(() => Service().Estimate(request));
        Assert.Equal(["ops[1].elementwise.rows", "ops[2].elementwise.rows"], e.Violations.Select(v => v.Field));
        // One row of 4096: one thread block streams it (4.6 µs on A100, measured 4-5 µs), not the whole device.
        var one = Service().Estimate(new EstimateOpsRequest { Device = "a100-80gb", Ops = { Norm(1) } });
        var spread = Service().Estimate(new EstimateOpsRequest { Device = "a100-80gb", Ops = { Norm(0) } });
        Assert.True(one.Timings[0].DeviceSeconds > 2 * spread.Timings[0].DeviceSeconds);
    }

    [Fact]
    public void Estimate_ops_limits_stay_limits_and_the_op_rules_stay_off_the_fast_path()
    {
        var tooMany = new EstimateOpsRequest { Device = "h800", Ops = { Gemm(1, 2, 0), Gemm(1, 2, 3), Gemm(1, 2, 3) } };
        var limit = Assert.Throws<LimitExceededException>(() => Service(maxOps: 2).Estimate(tooMany));
        Assert.Equal("ops", limit.Field);
        Assert.Equal(3, limit.Needed);
        Assert.Equal(["ops"], Fields(EmulatorValidators.EstimateOps(2), new EstimateOpsRequest { Device = "h800" }));
        // Without the per-op rule set, a bad op is not the request validator's to find.
        EmulatorValidators.EstimateOps(10)
            .ThrowIfInvalid(new EstimateOpsRequest { Device = "h800", Ops = { Gemm(0, 0, 0) } });
    }

    [Fact]
    public void A_kernel_reports_every_bad_field()
    {
        var r = new RunKernelRequest
        {
            Kernel = new Kernel
            {
                MoeGating = new MoeGatingKernel
                {
                    Tokens = 0, Experts = 256, TopK = 8, NGroup = 7, RoutedScalingFactor = double.NaN,
                },
            },
            Inputs = { new Tensor { Shape = { 2, 3 } }, new Tensor { Shape = { 4, 0 } } },
        };
        Assert.Equal(["device", "kernel.moe_gating.tokens", "kernel.moe_gating.n_group",
            "kernel.moe_gating.routed_scaling_factor", "dtype", "inputs[1].shape"],
            Fields(EmulatorValidators.RunKernel, r));
        var attention = new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Bf16,
            Kernel = new Kernel
            {
                Attention = new AttentionOp
                {
                    Batch = 1, QueryLen = 16, KvLen = 8, NumHeads = 4, HeadDimQk = 64, HeadDimV = -1, Causal = true,
                },
            },
        };
        Assert.Equal(["kernel.attention.head_dim_v", "kernel.attention.query_len"],
            Fields(EmulatorValidators.RunKernel, attention));
        var rope = new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Bf16,
            Kernel = new Kernel { Rope = new RopeKernel { Tokens = 1, Heads = 1, HeadDim = 63, PositionOffset = -1 } },
        };
        Assert.Equal(["kernel.rope.head_dim", "kernel.rope.position_offset"],
            Fields(EmulatorValidators.RunKernel, rope));
        Assert.Equal(["kernel", "dtype"],
            Fields(EmulatorValidators.RunKernel, new RunKernelRequest { Device = "h800", Kernel = new Kernel() }));
    }

    [Fact]
    public void A_profile_request_reports_every_bad_field()
    {
        var r = new ProfileModelRequest
        {
            Device = "h800", Batch = -1, TensorParallel = -2, PipelineParallel = -1,
            Dtype = (Dtype)42
        };
        Assert.Equal(["model", "phase", "batch", "sequence_length", "tensor_parallel", "pipeline_parallel", "dtype"],
            Fields(EmulatorValidators.ProfileModel, r));
    }
}
