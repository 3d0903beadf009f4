using InferenceScheduler.Application.Validation;
using InferenceScheduler.Domain.Workloads;
using InferenceScheduler.Tests.Grpc;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Tests.Application;

/// <summary>The request validators name each bad field by its proto path and report every bad field at once.</summary>
public sealed class ValidationTests
{
    private static SimulateWorkloadRequest Md1() => SimulateWorkloadRpcTests.Parse(SimulateWorkloadRpcTests.MD1);

    private static IReadOnlyList<FieldViolation> Violations<T>(FluentValidation.IValidator<T> validator, T request) =>
        Assert.Throws<InvalidFieldException>(() => validator.ThrowIfInvalid(request)).Violations;

    private static IReadOnlyList<string> Fields<T>(FluentValidation.IValidator<T> validator, T request) =>
        Violations(validator, request).Select(v => v.Field).ToList();

    [Fact]
    public void Valid_requests_pass()
    {
        InferenceValidators.Simulate.ThrowIfInvalid(Md1());
        var azure = SimulateWorkloadRpcTests.Parse(SimulateWorkloadRpcTests.AzureConvOn70B);
        InferenceValidators.Simulate.ThrowIfInvalid(azure);
        InferenceValidators.Stream.ThrowIfInvalid(new StreamSimulationRequest { Request = Md1() });
        var head = Md1();
        head.Workload = new Workload();
        InferenceValidators.UploadedHead.ThrowIfInvalid(
            new SimulateUploadedTraceRequest { Request = head, Format = " CSV " });
    }

    [Theory]
    [InlineData("tensor_parallel", "deployment.tensor_parallel")]
    [InlineData("pipeline_parallel", "deployment.pipeline_parallel")]
    [InlineData("expert_parallel", "deployment.expert_parallel")]
    [InlineData("data_parallel", "deployment.data_parallel")]
    [InlineData("replicas", "deployment.replicas")]
    [InlineData("max_num_seqs", "deployment.max_num_seqs")]
    [InlineData("priority_classes", "deployment.priority_classes")]
    [InlineData("communication_sms", "deployment.communication_sms")]
    public void Negative_deployment_fields_are_named_by_their_path(string field, string path)
    {
        var r = Md1();
        var d = r.Deployment;
        switch (field)
        {
            case "tensor_parallel": d.TensorParallel = -1; break;
            case "pipeline_parallel": d.PipelineParallel = -1; break;
            case "expert_parallel": d.ExpertParallel = -1; break;
            case "data_parallel": d.DataParallel = -1; break;
            case "replicas": d.Replicas = -1; break;
            case "max_num_seqs": d.MaxNumSeqs = -1; break;
            case "priority_classes": d.PriorityClasses = -1; break;
            default: d.CommunicationSms = -1; break;
        }
        Assert.Equal([path], Fields(InferenceValidators.Simulate, r));
    }

    [Fact]
    public void Every_bad_field_is_reported_together()
    {
        var r = Md1();
        r.Deployment.GpuMemoryUtilization = 1.5;
        r.Deployment.BlockSize = 24;
        r.Deployment.KvCacheDtype = Dtype.Int8;
        r.Deployment.MaxNumBatchedTokens = long.MaxValue;
        r.Workload.RateMultiplier = double.NaN;
        r.Workload.Synthetic.RatePerSecond = 0;
        var synthetic = r.Workload.Synthetic;
        synthetic.PromptTokens = new LengthDistribution { Uniform = new UniformLength { Min = 10, Max = 5 } };
        synthetic.OutputTokens = new LengthDistribution { Lognormal = new LognormalLength { Mean = 0.5, Sigma = -1 } };
        r.TimeModel.Constant.DecodeSecondsPerStep = double.PositiveInfinity;
        r.Slo = new Slo { TpotMs = -1 };
        r.TimelineIntervalSeconds = -1;
        Assert.Equal(
        [
            "deployment.max_num_batched_tokens", "deployment.kv_cache_dtype", "deployment.gpu_memory_utilization",
            "deployment.block_size", "workload.synthetic.rate_per_second", "workload.synthetic.prompt_tokens.uniform",
            "workload.synthetic.output_tokens.lognormal.mean",
            "workload.synthetic.output_tokens.lognormal.sigma", "workload.rate_multiplier", "slo.tpot_ms",
            "time_model.constant.decode_seconds_per_step", "timeline_interval_seconds",
        ], Fields(InferenceValidators.Simulate, r));
    }

    [Fact]
    public void Disaggregated_pools_are_checked_under_their_own_paths()
    {
        var r = Md1();
        r.Deployment.Disaggregation = new Disaggregation
        {
            Prefill = new PoolSpec { Replicas = -1, TensorParallel = -2 },
            Decode = new PoolSpec { MaxNumBatchedTokens = -1 },
            KvTransferGbps = -5,
        };
        Assert.Equal(
            ["deployment.disaggregation.prefill.replicas", "deployment.disaggregation.prefill.tensor_parallel",
             "deployment.disaggregation.decode.max_num_batched_tokens", "deployment.disaggregation.kv_transfer_gbps"],
            Fields(InferenceValidators.Simulate, r));
    }

    [Fact]
    public void Missing_parts_are_required()
    {
        Assert.Equal(["model", "deployment", "workload"],
            Fields(InferenceValidators.Simulate, new SimulateWorkloadRequest()));
        var r = Md1();
        r.Model = new ModelSpec();
        r.Deployment.Accelerator = " ";
        r.Workload.Synthetic.Arrival = Arrival.Unspecified;
        r.Workload.Synthetic.OutputTokens = null;
        r.TimeModel.Constant = new ConstantTimeModel();
        Assert.Equal(["model", "deployment.accelerator", "workload.synthetic.arrival",
            "workload.synthetic.output_tokens", "time_model.constant"],
            Fields(InferenceValidators.Simulate, r));
        var empty = Md1();
        empty.Workload = new Workload();
        empty.Workload.RateMultiplier = 2;
        Assert.Equal(["workload"], Fields(InferenceValidators.Simulate, empty));
    }

    [Fact]
    public void A_streamed_request_names_fields_as_a_unary_one_does()
    {
        Assert.Equal(["request"], Fields(InferenceValidators.Stream, new StreamSimulationRequest()));
        var r = Md1();
        r.Deployment.TensorParallel = -1;
        r.Workload.Synthetic.Requests = -3;
        Assert.Equal(["deployment.tensor_parallel", "workload.synthetic.requests"],
            Fields(InferenceValidators.Stream, new StreamSimulationRequest { Request = r }));
    }

    [Fact]
    public void An_uploaded_trace_needs_the_request_first_and_a_known_format()
    {
        Assert.Equal(["request"],
            Fields(InferenceValidators.UploadedHead, new SimulateUploadedTraceRequest { Chunk = "0,1,2\n" }));
        var head = Md1();
        head.Workload = new Workload { MaxRequests = -1 };
        head.Deployment.BlockSize = -16;
        Assert.Equal(["format", "deployment.block_size", "workload.max_requests"],
            Fields(InferenceValidators.UploadedHead,
                new SimulateUploadedTraceRequest { Request = head, Format = "parquet" }));
    }

    [Fact]
    public void Too_many_synthetic_requests_is_a_limit_not_a_malformed_field()
    {
        var r = Md1();
        r.Workload.Synthetic.Requests = WorkloadSource.MaxRequestsPerRun + 1;
        r.Deployment.TensorParallel = -1; // a limit is reported as such, whatever else is wrong
        var e = Assert.Throws<LimitExceededException>(() => InferenceValidators.Simulate.ThrowIfInvalid(r));
        Assert.Equal("workload.synthetic.requests", e.Field);
        Assert.Equal(WorkloadSource.MaxRequestsPerRun + 1, e.Needed);
        Assert.Equal(WorkloadSource.MaxRequestsPerRun, e.Available);
    }
}
