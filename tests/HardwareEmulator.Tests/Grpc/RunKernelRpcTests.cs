using Google.Protobuf;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Messaging;
using Platform.Testing;

namespace HardwareEmulator.Tests.Grpc;

public sealed class RunKernelRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private EmulatorService.EmulatorServiceClient Client => new(factory.Channel);

    private const string IssueRequest =
        """
        {"device":"h800","kernel":{"gemm":{"m":2,"n":2,"k":3}},"dtype":"DTYPE_FP32",
        "inputs":[{"shape":[2,3],"values":[1,2,3,4,5,6]},{"shape":[3,2],"values":[7,8,9,10,11,12]}]}
        """;

    private static RunKernelRequest Parse(string json) => JsonParser.Default.Parse<RunKernelRequest>(json);

    [Fact]
    public async Task The_issue_request_multiplies_for_real_and_reports_device_time()
    {
        var response = await Client.RunKernelAsync(Parse(IssueRequest));
        Assert.Equal(new float[] { 58, 64, 139, 154 }, response.Outputs[0].Values);
        Assert.Equal(new long[] { 2, 2 }, response.Outputs[0].Shape);
        Assert.True(response.Timing.DeviceSeconds > 0);
        Assert.Equal(Bound.Latency, response.Timing.Bound);
        Assert.True(response.Executed);
        Assert.Equal(4 * (6 + 6), response.Memory.InputBytes);
        Assert.Equal(80_000_000_000, response.Memory.CapacityBytes);
    }

    [Fact]
    public async Task Execute_false_returns_timing_only_even_for_shapes_too_large_for_the_cpu()
    {
        var response = await Client.RunKernelAsync(Parse("""
            {"device":"h800","kernel":{"gemm":{"m":16384,"n":16384,"k":16384}},
            "dtype":"DTYPE_BF16","execute":false}
            """));
        Assert.Empty(response.Outputs);
        Assert.False(response.Executed);
        Assert.Equal(Bound.Compute, response.Timing.Bound);
        Assert.InRange(response.Timing.AchievedTflops, 700, 900);
    }

    [Fact]
    public async Task Seeded_inputs_are_deterministic()
    {
        var request = new RunKernelRequest
        {
            Device = "h100-sxm", Dtype = Dtype.Fp32, Seed = 7,
            Kernel = new Kernel { Gemm = new GemmOp { M = 17, N = 9, K = 33 } },
        };
        var a = await Client.RunKernelAsync(request);
        var b = await Client.RunKernelAsync(request);
        Assert.Equal(a.Outputs[0].Values, b.Outputs[0].Values);
        Assert.Equal(17 * 9, a.Outputs[0].Values.Count);
        // Modelled time is a function of the shape only: host time of the two runs never enters.
        Assert.Equal(a.Timing, b.Timing);
    }

    [Theory]
    [InlineData(Dtype.Bf16, 1e-5)]
    [InlineData(Dtype.Fp8E4M3, 1e-3)]
    [InlineData(Dtype.Fp8E5M2, 5e-3)]
    public async Task Low_precision_gemm_reports_its_accuracy_against_fp32(Dtype dtype, double bound)
    {
        var response = await Client.RunKernelAsync(new RunKernelRequest
        {
            Device = "h800", Dtype = dtype, Seed = 1,
            Kernel = new Kernel { Gemm = new GemmOp { M = 64, N = 256, K = 512 } },
        });
        Assert.NotNull(response.Accuracy);
        Assert.Equal(Dtype.Fp32, response.Accuracy.ReferenceDtype);
        Assert.InRange(response.Accuracy.Diff, 0, bound);
        Assert.True(response.Accuracy.Diff > 0, "rounding must leave a trace");
    }

    [Fact]
    public async Task Fp8_is_less_accurate_than_bf16_on_the_same_inputs()
    {
        async Task<double> Diff(Dtype t) => (await Client.RunKernelAsync(new RunKernelRequest
        {
            Device = "h800", Dtype = t, Seed = 3,
            Kernel = new Kernel { Gemm = new GemmOp { M = 32, N = 128, K = 256 } },
        })).Accuracy.Diff;
        Assert.True(await Diff(Dtype.Fp8E4M3) > 10 * await Diff(Dtype.Bf16));
    }

    [Fact]
    public async Task Element_wise_kernels_run_for_real()
    {
        var softmax = await Client.RunKernelAsync(new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Fp32,
            Kernel = new Kernel { Softmax = new SoftmaxKernel { Rows = 1, Cols = 2 } },
            Inputs = { new Tensor { Shape = { 1, 2 }, Values = { 0, 0 } } },
        });
        Assert.Equal(new float[] { 0.5f, 0.5f }, softmax.Outputs[0].Values);

        var swiglu = await Client.RunKernelAsync(new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Fp32,
            Kernel = new Kernel
            {
                Activation = new ActivationKernel { Kind = ActivationKind.Swiglu, Rows = 1, Cols = 1 },
            },
            Inputs = { new Tensor { Shape = { 1, 2 }, Values = { 1, 3 } } },
        });
        Assert.Equal(3 / (1 + Math.Exp(-1)), swiglu.Outputs[0].Values[0], 5);

        var gating = await Client.RunKernelAsync(new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Fp32,
            Kernel = new Kernel { MoeGating = new MoeGatingKernel { Tokens = 1, Experts = 4, TopK = 2 } },
            Inputs = { new Tensor { Shape = { 1, 4 }, Values = { 0.1f, 3, 2, -1 } } },
        });
        Assert.Equal(new float[] { 1, 2 }, gating.Outputs[0].Values);
    }

    [Theory]
    [InlineData(nameof(Kernel.Attention))]
    [InlineData(nameof(Kernel.Norm))]
    [InlineData(nameof(Kernel.Rope))]
    [InlineData(nameof(Kernel.Quantize))]
    [InlineData(nameof(Kernel.Dequantize))]
    [InlineData(nameof(Kernel.GroupedGemm))]
    public async Task Every_kernel_runs_from_a_seed(string kind)
    {
        var kernel = kind switch
        {
            nameof(Kernel.Attention) => new Kernel
            {
                Attention = new AttentionOp
                {
                    Batch = 1, QueryLen = 8, KvLen = 8, NumHeads = 4, NumKvHeads = 2, HeadDimQk = 16, Causal = true,
                },
            },
            nameof(Kernel.Norm) =>
                new Kernel { Norm = new NormKernel { Kind = NormKind.Layernorm, Rows = 3, Cols = 64 } },
            nameof(Kernel.Rope) => new Kernel { Rope = new RopeKernel { Tokens = 4, Heads = 2, HeadDim = 8 } },
            nameof(Kernel.Quantize) => new Kernel { Quantize = new QuantizeKernel { Rows = 2, Cols = 256 } },
            nameof(Kernel.Dequantize) => new Kernel { Dequantize = new DequantizeKernel { Rows = 2, Cols = 256 } },
            _ => new Kernel { GroupedGemm = new GroupedGemmOp { MPerGroup = { 3, 0, 5 }, N = 16, K = 32 } },
        };
        var dtype = kind is nameof(Kernel.Quantize) or nameof(Kernel.Dequantize) ? Dtype.Fp8E4M3 : Dtype.Bf16;
        var response = await Client.RunKernelAsync(
            new RunKernelRequest { Device = "mi300x", Dtype = dtype, Seed = 11, Kernel = kernel });
        Assert.True(response.Executed);
        Assert.NotEmpty(response.Outputs[0].Values);
        Assert.All(response.Outputs[0].Values, v => Assert.True(float.IsFinite(v)));
        Assert.True(response.Timing.DeviceSeconds > 0);
    }

    [Fact]
    public async Task Unknown_device_is_not_found() =>
        await GrpcAssert.FailsWith(StatusCode.NotFound, "device",
            () => Client.RunKernelAsync(Parse(IssueRequest.Replace("h800", "h900"))).ResponseAsync);

    [Fact]
    public async Task Missing_dtype_is_invalid() =>
        await GrpcAssert.InvalidField("dtype", () => Client.RunKernelAsync(
            Parse(IssueRequest.Replace(",\"dtype\":\"DTYPE_FP32\"", ""))).ResponseAsync);

    [Fact]
    public async Task Input_shape_that_does_not_match_the_kernel_is_invalid() =>
        await GrpcAssert.InvalidField("inputs[1].shape", () => Client.RunKernelAsync(
            Parse(IssueRequest.Replace("\"shape\":[3,2]", "\"shape\":[2,3]"))).ResponseAsync);

    [Fact]
    public async Task Values_that_do_not_fill_the_shape_are_invalid() =>
        await GrpcAssert.InvalidField("inputs[0].values", () => Client.RunKernelAsync(
            Parse(IssueRequest.Replace("[1,2,3,4,5,6]", "[1,2,3,4,5]"))).ResponseAsync);

    [Fact]
    public async Task Zero_or_negative_dimensions_are_invalid()
    {
        await GrpcAssert.InvalidField("kernel.gemm.k",
            () => Client.RunKernelAsync(Parse(IssueRequest.Replace("\"k\":3", "\"k\":0"))).ResponseAsync);
        await GrpcAssert.InvalidField("kernel.gemm.m",
            () => Client.RunKernelAsync(Parse(IssueRequest.Replace("\"m\":2", "\"m\":-2"))).ResponseAsync);
    }

    [Fact]
    public async Task Nan_in_fp8_scales_is_invalid_naming_the_scales()
    {
        var request = new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Fp8E4M3,
            Kernel = new Kernel { Dequantize = new DequantizeKernel { Rows = 1, Cols = 4 } },
            Inputs =
            {
                new Tensor { Shape = { 1, 4 }, Values = { 56, 60, 64, 68 } },
                new Tensor { Shape = { 1, 1 }, Values = { float.NaN } },
            },
        };
        await GrpcAssert.InvalidField("inputs[1].values", () => Client.RunKernelAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task Inputs_with_execute_false_are_invalid() =>
        await GrpcAssert.InvalidField("inputs", () => Client.RunKernelAsync(
            Parse(IssueRequest.Replace("\"dtype\"", "\"execute\":false,\"dtype\""))).ResponseAsync);

    [Fact]
    public async Task Inputs_missing_without_a_seed_are_invalid() =>
        await GrpcAssert.InvalidField("inputs", () => Client.RunKernelAsync(new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Fp32, Kernel = new Kernel { Gemm = new GemmOp { M = 2, N = 2, K = 2 } },
        }).ResponseAsync);

    [Fact]
    public async Task Kernel_that_does_not_fit_device_memory_is_resource_exhausted_with_the_bytes()
    {
        var e = await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "inputs", () => Client.RunKernelAsync(
            new RunKernelRequest
            {
                Device = "h800", Dtype = Dtype.Bf16, Execute = false,
                Kernel = new Kernel { Gemm = new GemmOp { M = 200_000, N = 200_000, K = 200_000 } },
            }).ResponseAsync);
        Assert.Contains("160,000,000,000", e.Status.Detail);
        Assert.Contains("80,000,000,000", e.Status.Detail);
    }

    [Fact]
    public async Task Execution_beyond_the_host_limit_is_resource_exhausted() =>
        await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "kernel.gemm", () => Client.RunKernelAsync(
            new RunKernelRequest
            {
                Device = "b200", Dtype = Dtype.Bf16, Seed = 1,
                Kernel = new Kernel { Gemm = new GemmOp { M = 20_000, N = 20_000, K = 20_000 } },
            }).ResponseAsync);

    [Fact]
    public async Task Dtype_the_device_lacks_is_a_failed_precondition() =>
        await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "dtype", () => Client.RunKernelAsync(
            new RunKernelRequest
            {
                Device = "a100-80gb", Dtype = Dtype.Fp8E4M3, Execute = false,
                Kernel = new Kernel { Gemm = new GemmOp { M = 128, N = 128, K = 128 } },
            }).ResponseAsync);
}

/// <summary>The platform with tight emulator host limits from configuration.</summary>
public sealed class TightLimitsFactory : PlatformFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Emulator:MaxElementsPerCall"] = "100",
        ["Emulator:MaxOpsPerRequest"] = "2",
        ["Emulator:MaxMessageBytes"] = "4096",
        ["Emulator:MaxProfileLayers"] = "16",
    };
}

public sealed class EmulatorLimitTests(TightLimitsFactory factory) : IClassFixture<TightLimitsFactory>
{
    private EmulatorService.EmulatorServiceClient Client => new(factory.Channel);

    [Fact]
    public async Task Configured_element_limit_refuses_larger_executions()
    {
        var e = await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "kernel.gemm", () => Client.RunKernelAsync(
            new RunKernelRequest
            {
                Device = "h800", Dtype = Dtype.Fp32, Seed = 1,
                Kernel = new Kernel { Gemm = new GemmOp { M = 8, N = 8, K = 8 } },
            }).ResponseAsync);
        Assert.Contains("MaxElementsPerCall", e.Status.Detail);
    }

    [Fact]
    public async Task Configured_message_limit_refuses_larger_requests()
    {
        var request = new RunKernelRequest
        {
            Device = "h800", Dtype = Dtype.Fp32,
            Kernel = new Kernel { Softmax = new SoftmaxKernel { Rows = 1, Cols = 2000 } },
        };
        var x = new Tensor { Shape = { 1, 2000 } };
        x.Values.AddRange(Enumerable.Repeat(1f, 2000));
        request.Inputs.Add(x);
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.RunKernelAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task Configured_op_limit_refuses_larger_batches()
    {
        var request = new EstimateOpsRequest { Device = "h800" };
        for (int i = 0; i < 3; i++)
            request.Ops.Add(new OpSpec { Dtype = Dtype.Bf16, Gemm = new GemmOp { M = 1, N = 1, K = 1 } });
        await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "ops",
            () => Client.EstimateOpsAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task Configured_layer_limit_refuses_deeper_profiles()
    {
        var request = new ProfileModelRequest
        {
            Device = "h800", Model = new ModelSpec { Preset = "llama-3.1-8b" },
            Phase = Platform.Contracts.Emulator.V1.Phase.Prefill, Batch = 1, SequenceLength = 128,
        };
        var e = await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "model",
            () => Client.ProfileModelAsync(request).ResponseAsync);
        Assert.Contains("MaxProfileLayers", e.Status.Detail);
    }

    [Fact]
    public async Task Configured_op_limit_refuses_larger_bus_jobs()
    {
        _ = factory.Server; // start the host
        var op = JsonFormatter.Default.Format(
            new OpSpec { Dtype = Dtype.Bf16, Gemm = new GemmOp { M = 1, N = 1, K = 1 } });
        var client = factory.Services.GetRequiredService<IBus>()
            .CreateRequestClient<EstimateOpsCommand>(RequestTimeout.After(s: 30));
        var response = await client.GetResponse<OpsEstimated, CommandRejected>(new EstimateOpsCommand
        {
            JobId = Guid.NewGuid(), Device = "h800", OpsJson = [op, op, op],
        });
        Assert.True(response.Is(out Response<CommandRejected>? rejected));
        Assert.Equal("ops", rejected!.Message.Field);
        Assert.Contains("MaxOpsPerRequest", rejected.Message.Reason);
    }
}
