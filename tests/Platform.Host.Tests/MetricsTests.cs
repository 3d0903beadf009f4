using System.Text.RegularExpressions;
using Google.Protobuf;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace Platform.Host.Tests;

/// <summary>
/// Tests that load the CPU (jobs, kernels, simulations) and tests that time a call run one after the other, so that a
/// call's duration is not the other test's load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LoadSensitive
{
    public const string Name = "load-sensitive";
}

/// <summary>
/// The platform's own metrics on /metrics (meter "Platform", exported by the OpenTelemetry Prometheus exporter)
/// appear with their labels once the action they measure has happened.
/// </summary>
[Collection(LoadSensitive.Name)]
public sealed class MetricsTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private const string Run =
        """
        {"run":{"model":{"preset":"llama-3.1-8b"},"trainingTokens":"1000000000000","sequenceLength":"4096",
          "cluster":{"accelerator":"h800","count":"64"},"precision":"PRECISION_BF16"}}
        """;

    private const string Kernel =
        """
        {"device":"h800","kernel":{"gemm":{"m":"2","n":"2","k":"3"}},"dtype":"DTYPE_FP32",
         "inputs":[{"shape":["2","3"],"values":[1,2,3,4,5,6]},{"shape":["3","2"],"values":[7,8,9,10,11,12]}]}
        """;

    private const string Simulation =
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h800"},
         "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":5,"requests":"20","seed":"1",
           "promptTokens":{"fixed":"256"},"outputTokens":{"fixed":"16"}}}}
        """;

    [Fact]
    public async Task Rpc_metrics_name_the_method_and_its_status()
    {
        var training = new TrainingCostService.TrainingCostServiceClient(factory.Channel);
        await training.ListModelPresetsAsync(new ListModelPresetsRequest());
        await Assert.ThrowsAsync<RpcException>(async () =>
            await training.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }));

        string text = await Scrape(
            Series("platform_rpc_server_duration_seconds_count", "rpc_method=\"ListModelPresets\"",
                "rpc_service=\"platform.training.v1.TrainingCostService\"", "rpc_grpc_status_code=\"OK\""),
            Series("platform_rpc_server_duration_seconds_count", "rpc_method=\"GetJob\"",
                "rpc_grpc_status_code=\"NOT_FOUND\""));
        // ASP.NET Core's own request metric names the gRPC method in its route too.
        Assert.Matches(Series("http_server_request_duration_seconds_count", "ListModelPresets"), text);
    }

    [Fact]
    public async Task A_job_run_over_the_bus_reports_transitions_state_queue_lag_and_database_latency()
    {
        var training = new TrainingCostService.TrainingCostServiceClient(factory.Channel);
        var id = (await training.SubmitEstimateJobAsync(JsonParser.Default.Parse<SubmitEstimateJobRequest>(Run)))
            .JobId;
        var job = await JobPolling.WaitFinished(training, id);
        Assert.Equal(Platform.Contracts.Common.V1.JobState.Succeeded, job.State);

        await Scrape(
            Series("platform_jobs_transitions_total", "kind=\"estimate\"", "state=\"queued\""),
            Series("platform_jobs_transitions_total", "kind=\"estimate\"", "state=\"running\""),
            Series("platform_jobs_transitions_total", "kind=\"estimate\"", "state=\"succeeded\""),
            Series("platform_jobs", "kind=\"estimate\"", "state=\"succeeded\""),
            Series("platform_bus_queue_lag_seconds_count", "message_type=\"RunTrainingJob\""),
            Series("platform_db_command_duration_seconds_count", "db_system=\"sqlite\"", "operation=\"insert\"",
                "outcome=\"ok\""));
    }

    [Fact]
    public async Task Kernel_runs_and_simulations_report_throughput()
    {
        var emulator = new EmulatorService.EmulatorServiceClient(factory.Channel);
        await emulator.RunKernelAsync(JsonParser.Default.Parse<RunKernelRequest>(Kernel));
        var inference = new InferenceSchedulerService.InferenceSchedulerServiceClient(factory.Channel);
        var sim = await inference.SimulateWorkloadAsync(
            JsonParser.Default.Parse<SimulateWorkloadRequest>(Simulation));
        Assert.True(sim.CompletedRequests > 0);

        await Scrape(
            Series("platform_emulator_kernel_gflops*", "kernel=\"gemm\""),
            Series("platform_emulator_modelled_tflops*", "kernel=\"gemm\"", "device=\"h800\""),
            Series("platform_inference_simulated_requests_total"),
            Series("platform_inference_simulated_request_rate*"));
    }

    /// <summary>
    /// A pattern matching one series line of <paramref name="metric"/> (a trailing * allows a suffix such as a unit
    /// or _count) carrying every label given.
    /// </summary>
    private static Regex Series(string metric, params string[] labels)
    {
        string name = metric.EndsWith('*') ? Regex.Escape(metric[..^1]) + "[_a-zA-Z]*" : Regex.Escape(metric);
        string having = string.Concat(labels.Select(l => "(?=[^\\n]*" + Regex.Escape(l) + ")"));
        return new Regex("^" + name + "\\{" + having + "[^\\n]*\\} [0-9.e+-]+", RegexOptions.Multiline);
    }

    /// <summary>Scrapes /metrics until every pattern matches (the exporter caches a scrape briefly).</summary>
    private async Task<string> Scrape(params Regex[] wanted)
    {
        using var http = factory.CreateClient();
        string text = "";
        for (int i = 0; i < 50; i++)
        {
            text = await http.GetStringAsync("/metrics");
            if (wanted.All(w => w.IsMatch(text))) return text;
            await Task.Delay(100);
        }
        foreach (var w in wanted) Assert.True(w.IsMatch(text), $"/metrics has no series matching {w}");
        return text;
    }
}
