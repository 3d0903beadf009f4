using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class SimulateWorkloadRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    internal const string AzureConvOn70B =
        """
        {"model":{"preset":"llama-3.1-70b"},"deployment":{"accelerator":"h800","replicas":1,"tensorParallel":8},
        "workload":{"trace":"azure-conv-2023"},"slo":{"ttftMs":2000,"tpotMs":100}}
        """;
    internal const string MD1 =
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1,
        "maxNumSeqs":1},"timeModel":{"constant":{"prefillSecondsPerToken":0.0001,"decodeSecondsPerStep":0.01}},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":1.0,"requests":20000,"seed":7,
        "promptTokens":{"fixed":100},"outputTokens":{"fixed":50}}}}
        """;

    internal static SimulateWorkloadRequest Parse(string json) =>
        JsonParser.Default.Parse<SimulateWorkloadRequest>(json);

    [Fact]
    public async Task Azure_conv_trace_on_llama_70b_tp8_h800_completes_every_request_with_vllm_metrics()
    {
        var r = await Client.SimulateWorkloadAsync(Parse(AzureConvOn70B));
        Assert.Equal(19366, r.CompletedRequests);
        Assert.InRange(r.SimulatedSeconds, 3400, 3700);
        Assert.True(r.WallSeconds > 0);
        var m = r.Metrics;
        foreach (var d in new[] { m.TtftMs, m.TpotMs, m.ItlMs, m.E2EMs })
        {
            Assert.True(d.Mean > 0 && d.P50 > 0 && d.P90 >= d.P50 && d.P99 >= d.P90, d.ToString());
        }
        // 5.5 req/s of ~1.2k-token prompts is light load for 8 H800s: TPOT is a decode step of a 70B model over TP8
        // (~10-40 ms).
        Assert.InRange(m.TpotMs.Mean, 8, 60);
        Assert.InRange(m.TtftMs.P50, 20, 2000);
        Assert.InRange(m.RequestThroughput, 5.2, 5.8);
        Assert.Equal(m.TotalOutputTokens / r.SimulatedSeconds, m.OutputTokenThroughput, 6);
        Assert.InRange(m.SloAttainment, 0.9, 1.0);
        Assert.Equal(m.SloAttainment * m.RequestThroughput, m.Goodput, 6);
        Assert.True(r.Cost.UsdPerMillionOutputTokens > 0 && r.Cost.UsdPerMillionInputTokens > 0);
        Assert.Equal(8 * r.SimulatedSeconds / 3600 * 2.0, r.Cost.TotalUsd, 3); // H800 price_mid_usd = $2/h
        Assert.NotEmpty(r.Timeline);
    }

    [Fact]
    public async Task Single_sequence_constant_time_model_is_an_md1_queue()
    {
        var r = await Client.SimulateWorkloadAsync(Parse(MD1));
        Assert.Equal(20000, r.CompletedRequests);
        // Service S = prefill 100 x 0.1 ms (emits token 1) + 49 decode steps x 10 ms = 0.5 s; rho = 0.5.
        // Pollaczek–Khinchine for deterministic service: Wq = rho S / (2 (1 - rho)) = 0.25 s.
        double s = 0.5, rho = 0.5, wq = rho * s / (2 * (1 - rho));
        Assert.Equal(wq + s, r.Metrics.E2EMs.Mean / 1e3, 0.03 * (wq + s));
        Assert.Equal(wq + 0.01, r.Metrics.TtftMs.Mean / 1e3, 0.05 * (wq + 0.01));
        Assert.Equal(10.0, r.Metrics.TpotMs.Mean, 1e-6);
        Assert.Equal(10.0, r.Metrics.ItlMs.P50, 0.1);
        Assert.Equal(1.0, r.Metrics.SloAttainment);
    }

    [Fact]
    public async Task Tensor_parallel_that_does_not_divide_heads_is_invalid()
    {
        var req = Parse(AzureConvOn70B);
        req.Deployment.TensorParallel = 3;
        await GrpcAssert.InvalidField("deployment.tensor_parallel",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
    }

    [Fact]
    public async Task Model_too_large_for_the_deployment_fails_precondition_with_needed_and_available()
    {
        var req = Parse(AzureConvOn70B);
        req.Model.Preset = "llama-3.1-405b";
        req.Deployment.TensorParallel = 1;
        var e = await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "deployment",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
        Assert.Contains("needs", e.Status.Detail);
        Assert.Contains("available", e.Status.Detail);
    }

    [Fact]
    public async Task Unknown_preset_accelerator_and_trace_are_not_found()
    {
        var a = Parse(AzureConvOn70B); a.Model.Preset = "llama-9";
        await GrpcAssert.FailsWith(StatusCode.NotFound, "model.preset",
            () => Client.SimulateWorkloadAsync(a).ResponseAsync);
        var b = Parse(AzureConvOn70B); b.Deployment.Accelerator = "h900";
        await GrpcAssert.FailsWith(StatusCode.NotFound, "deployment.accelerator",
            () => Client.SimulateWorkloadAsync(b).ResponseAsync);
        var c = Parse(AzureConvOn70B); c.Workload.Trace = "azure-2099";
        await GrpcAssert.FailsWith(StatusCode.NotFound, "workload.trace",
            () => Client.SimulateWorkloadAsync(c).ResponseAsync);
    }

    [Fact]
    public async Task Non_positive_rate_and_count_are_invalid()
    {
        var a = Parse(MD1); a.Workload.Synthetic.RatePerSecond = 0;
        await GrpcAssert.InvalidField("workload.synthetic.rate_per_second",
            () => Client.SimulateWorkloadAsync(a).ResponseAsync);
        var b = Parse(MD1); b.Workload.Synthetic.Requests = -5;
        await GrpcAssert.InvalidField("workload.synthetic.requests",
            () => Client.SimulateWorkloadAsync(b).ResponseAsync);
        var c = Parse(MD1); c.Workload.Synthetic.PromptTokens.Fixed = 0;
        await GrpcAssert.InvalidField("workload.synthetic.prompt_tokens.fixed",
            () => Client.SimulateWorkloadAsync(c).ResponseAsync);
        var d = Parse(AzureConvOn70B); d.Workload.RateMultiplier = -1;
        await GrpcAssert.InvalidField("workload.rate_multiplier", () => Client.SimulateWorkloadAsync(d).ResponseAsync);
    }

    [Fact]
    public async Task Malformed_trace_row_names_its_line()
    {
        var req = Parse(MD1);
        req.Workload = new Workload
        {
            TraceCsv = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n"
                + "2023-11-16 18:15:50.9951690,abc,12\n",
        };
        var e = await GrpcAssert.InvalidField("workload.trace_csv",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
        Assert.Contains("line 3", e.Status.Detail);
        req.Workload = new Workload
        {
            TraceJsonl = "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5}\n"
                + "{\"timestamp\": 5, \"input_length\": 10}\n",
        };
        e = await GrpcAssert.InvalidField("workload.trace_jsonl",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
        Assert.Contains("line 2", e.Status.Detail);
    }

    [Fact]
    public async Task Request_longer_than_the_kv_cache_fails_precondition()
    {
        var req = Parse(MD1);
        req.Deployment.GpuMemoryUtilization = 0.25; // 20 GiB: 16 GB of weights leave a small KV cache
        req.Workload.Synthetic.PromptTokens.Fixed = 100_000;
        req.Workload.Synthetic.Requests = 3;
        var e = await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "workload",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
        Assert.Contains("KV", e.Status.Detail);
    }

    [Fact]
    public async Task Uploaded_trace_in_chunks_split_mid_line_gives_the_inline_result()
    {
        string jsonl = string.Join('\n', Enumerable.Range(0, 200).Select(i =>
            $"{{\"timestamp\": {i * 250}, \"input_length\": {300 + i % 7 * 100}, "
            + $"\"output_length\": {20 + i % 5}, \"hash_ids\": [{i % 3}]}}"));
        var inline = Parse(MD1);
        inline.Deployment.MaxNumSeqs = 8;
        inline.Workload = new Workload { TraceJsonl = jsonl };
        var expected = await Client.SimulateWorkloadAsync(inline);

        using var call = Client.SimulateUploadedTrace();
        var head = inline.Clone();
        head.Workload = new Workload();
        await call.RequestStream.WriteAsync(new SimulateUploadedTraceRequest { Request = head });
        for (int i = 0; i < jsonl.Length; i += 777)
            await call.RequestStream.WriteAsync(
                new SimulateUploadedTraceRequest { Chunk = jsonl.Substring(i, Math.Min(777, jsonl.Length - i)) });
        await call.RequestStream.CompleteAsync();
        var got = (await call.ResponseAsync).Result;
        Assert.Equal(200, got.CompletedRequests);
        Assert.Equal(expected.SimulatedSeconds, got.SimulatedSeconds, 9);
        Assert.Equal(expected.Metrics.E2EMs.Mean, got.Metrics.E2EMs.Mean, 9);
    }

    [Fact]
    public async Task Streamed_results_carry_every_request_once_then_the_summary()
    {
        var req = Parse(MD1);
        req.Workload.Synthetic.Requests = 500;
        using var call = Client.StreamSimulation(new StreamSimulationRequest { Request = req });
        var seen = new HashSet<long>();
        SimulateWorkloadResponse? summary = null;
        long outputTokens = 0;
        await foreach (var m in call.ResponseStream.ReadAllAsync())
        {
            if (m.ItemCase == StreamSimulationResponse.ItemOneofCase.Request)
            {
                Assert.True(seen.Add(m.Request.Index));
                outputTokens += m.Request.OutputTokens;
            }
            else summary = m.Summary;
        }
        Assert.NotNull(summary);
        Assert.Equal(500, seen.Count);
        Assert.Equal(500, summary!.CompletedRequests);
        Assert.Equal(summary.Metrics.TotalOutputTokens, outputTokens);
    }
}
