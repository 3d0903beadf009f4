using Google.Rpc;
using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

/// <summary>
/// Bad workloads are rejected before anything is simulated or streamed: a request that cannot be served is found by a
/// pre-scan of the whole workload, so a stream never carries results of a run that then fails.
/// </summary>
public sealed class StreamSimulationValidationRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    /// <summary>
    /// Llama 3.1 8B on one H100 at 30% memory: a KV cache of a few ten thousand tokens. Lognormal prompts without a
    /// `max` have a heavy tail, so some generated request, well into the run, does not fit; the requests before it are
    /// short and finish quickly, so a simulator that checks only on arrival streams them before failing.
    /// </summary>
    private static SimulateWorkloadRequest HeavyTailed() => SimulateWorkloadRpcTests.Parse(
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1,
        "gpuMemoryUtilization":0.3},"timeModel":{"constant":{"prefillSecondsPerToken":0.00001,
        "decodeSecondsPerStep":0.01}},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":1.0,
        "requests":5000,"seed":3,"promptTokens":{"lognormal":{"mean":2000,"sigma":2.5}},"outputTokens":{"fixed":20}}}}
        """);

    /// <summary>KV-cache tokens of the deployment, from a run of the same request cut to one short request.</summary>
    private async Task<long> KvTokens(SimulateWorkloadRequest req)
    {
        var probe = req.Clone();
        probe.Workload.Synthetic.Requests = 1;
        probe.Workload.Synthetic.PromptTokens = new LengthDistribution { Fixed = 10 };
        return (await Client.SimulateWorkloadAsync(probe)).Pools[0].KvCacheTokensPerInstance;
    }

    /// <summary>
    /// The index of the first generated request for which <paramref name="bad"/> holds (the generator is seeded, so
    /// it is known in advance).
    /// </summary>
    private static long FirstGenerated(SimulateWorkloadRequest req, Func<TraceRequest, bool> bad)
    {
        var source = InferenceScheduler.Application.SimulationPlanner.BuildWorkload(req.Workload);
        for (long i = 0; source.TryNext(out var r); i++) if (bad(r)) return i;
        return -1;
    }

    /// <summary>Reads the stream to its end; returns how many messages arrived before the error.</summary>
    private static async Task<(int Received, RpcException Error)> ReadUntilError(
        AsyncServerStreamingCall<StreamSimulationResponse> call)
    {
        int received = 0;
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync()) received++;
        });
        return (received, e);
    }

    private static string Subject(RpcException e) =>
        e.GetRpcStatus()?.GetDetail<PreconditionFailure>()?.Violations.Single().Subject
        ?? "(no PreconditionFailure detail)";

    /// <summary>
    /// The stream ends with FailedPrecondition naming <paramref name="subject"/> before sending a single row.
    /// </summary>
    private async Task<RpcException> StreamFailsBeforeAnyRow(SimulateWorkloadRequest req, string subject)
    {
        using var call = Client.StreamSimulation(new StreamSimulationRequest { Request = req });
        var (received, e) = await ReadUntilError(call);
        Assert.Equal(0, received);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal(subject, Subject(e));
        return e;
    }

    [Fact]
    public async Task Stream_whose_generated_request_overflows_the_kv_cache_fails_precondition_before_any_result()
    {
        var req = HeavyTailed();
        long kv = await KvTokens(req);
        long bad = FirstGenerated(req, r => r.InputTokens + r.OutputTokens > kv);
        Assert.True(bad > 20,
            $"the scenario needs the first oversized request well into the run (got {bad}, KV {kv} tokens)");

        var e = await StreamFailsBeforeAnyRow(req, "workload.synthetic");
        Assert.Contains($"request {bad}:", e.Status.Detail);
        Assert.Contains("needs", e.Status.Detail);
        Assert.Contains($"holds {kv}", e.Status.Detail);
    }

    [Fact]
    public async Task Unary_run_names_the_generated_request_that_overflows_the_kv_cache()
    {
        var req = HeavyTailed();
        long kv = await KvTokens(req);
        long bad = FirstGenerated(req, r => r.InputTokens + r.OutputTokens > kv);
        var e = await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "workload.synthetic",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
        Assert.Contains($"request {bad}:", e.Status.Detail);
    }

    [Fact]
    public async Task Stream_without_chunked_prefill_rejects_a_prompt_longer_than_the_step_budget_before_any_result()
    {
        // Without chunked prefill a prompt is scheduled whole (and recomputed whole after a preemption), so a request
        // longer than max_num_batched_tokens could never run; vLLM refuses max_num_batched_tokens < max_model_len in
        // this mode.
        var req = SimulateWorkloadRpcTests.Parse(SimulateWorkloadRpcTests.MD1);
        req.Deployment.DisableChunkedPrefill = true;
        req.Deployment.MaxNumBatchedTokens = 2048;
        req.Workload.Synthetic.Requests = 2000;
        req.Workload.Synthetic.PromptTokens =
            new LengthDistribution { Uniform = new UniformLength { Min = 100, Max = 2010 } };
        long bad = FirstGenerated(req, r => r.InputTokens + r.OutputTokens - 1 > 2048);
        Assert.True(bad > 20, $"the scenario needs the first oversized request well into the run (got {bad})");

        var e = await StreamFailsBeforeAnyRow(req, "workload.synthetic");
        Assert.Contains($"request {bad}:", e.Status.Detail);
        Assert.Contains("max_num_batched_tokens", e.Status.Detail);
    }

    [Fact]
    public async Task Inline_trace_row_that_overflows_the_kv_cache_is_named_by_its_line()
    {
        var req = SimulateWorkloadRpcTests.Parse(SimulateWorkloadRpcTests.MD1);
        req.Deployment.GpuMemoryUtilization = 0.25;
        req.Workload = new Workload
        {
            TraceCsv = "TIMESTAMP,ContextTokens,GeneratedTokens\n0,374,44\n\n1,300,12\n2,100000,12\n3,200,10\n",
        };
        var e = await StreamFailsBeforeAnyRow(req, "workload.trace_csv");
        Assert.Contains("line 5:", e.Status.Detail);
    }

    [Fact]
    public async Task Uploaded_trace_row_that_overflows_the_kv_cache_is_named_by_its_line()
    {
        var head = SimulateWorkloadRpcTests.Parse(SimulateWorkloadRpcTests.MD1);
        head.Deployment.GpuMemoryUtilization = 0.25;
        head.Workload = new Workload();
        using var call = Client.SimulateUploadedTrace();
        await call.RequestStream.WriteAsync(new SimulateUploadedTraceRequest { Request = head });
        await call.RequestStream.WriteAsync(new SimulateUploadedTraceRequest
        {
            Chunk = "{\"timestamp\": 0, \"input_length\": 300, \"output_length\": 5}\n{\"timestamp\": 9, \"input_le",
        });
        await call.RequestStream.WriteAsync(new SimulateUploadedTraceRequest
        {
            Chunk = "ngth\": 90000, \"output_length\": 5}\n{\"timestamp\": 20, \"input_length\": 10, "
                + "\"output_length\": 5}\n",
        });
        await call.RequestStream.CompleteAsync();
        var e = await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "chunk", () => call.ResponseAsync);
        Assert.Equal("chunk", Subject(e));
        Assert.Contains("line 2:", e.Status.Detail);
    }

    [Fact]
    public async Task Workload_beyond_the_request_limit_is_resource_exhausted_before_simulating()
    {
        var req = SimulateWorkloadRpcTests.Parse(SimulateWorkloadRpcTests.MD1);
        req.Workload.Synthetic.Requests = 50_000_000;
        using var call = Client.StreamSimulation(new StreamSimulationRequest { Request = req });
        var (received, e) = await ReadUntilError(call);
        Assert.Equal(0, received);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("workload.synthetic.requests", e.Status.Detail);
    }
}
