using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;

namespace Platform.Benchmarks;

/// <summary>
/// `serve`: a load client in its own process against a host's live deployment (scripts/serve-bench.sh starts the
/// host): creates the deployment, opens --streams concurrent Generate streams (synthetic prompts of --prompt tokens,
/// --max-tokens each, time scale --time-scale), and prints: streams finished with the requested tokens, token-interval
/// jitter (the interval between two token messages as received, minus the interval between the steps' scheduled
/// times) p50/p99, TTFT/TPOT p50, and the engine's scheduler overhead per step and per stream-step and late-step p99.
/// </summary>
public static class ServeBenchmark
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        string url = Arg("--grpc", "http://127.0.0.1:15280");
        int streams = int.Parse(Arg("--streams", "1000"), System.Globalization.CultureInfo.InvariantCulture);
        int maxTokens = int.Parse(Arg("--max-tokens", "64"), System.Globalization.CultureInfo.InvariantCulture);
        int prompt = int.Parse(Arg("--prompt", "256"), System.Globalization.CultureInfo.InvariantCulture);
        double scale = double.Parse(Arg("--time-scale", "1"), System.Globalization.CultureInfo.InvariantCulture);
        return RunAsync(url, streams, maxTokens, prompt, scale).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string url, int streams, int maxTokens, int prompt, double scale)
    {
        using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(channel);
        const string name = "bench-llama-8b-h100";
        await client.CreateDeploymentAsync(new CreateDeploymentRequest
        {
            Name = name, Model = new() { Preset = "llama-3.1-8b" },
            Deployment = new Deployment { Accelerator = "h100-sxm", Replicas = 1, TensorParallel = 1 },
            TimeScale = scale,
        });
        var jitter = new List<double>[streams];
        var ttft = new double[streams];
        var tpot = new double[streams];
        var tokens = new int[streams];
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async i =>
        {
            jitter[i] = new List<double>(maxTokens);
            var sent = Stopwatch.StartNew();
            using var call = client.Generate(new GenerateRequest
            {
                Deployment = name, PromptTokens = prompt, MaxTokens = maxTokens,
            });
            double lastRecv = -1, lastDue = 0;
            await foreach (var m in call.ResponseStream.ReadAllAsync())
            {
                if (m.Tokens is { } t)
                {
                    double recv = sent.Elapsed.TotalMilliseconds;
                    if (lastRecv >= 0) jitter[i].Add((recv - lastRecv) - (t.ScheduledMs - lastDue));
                    lastRecv = recv;
                    lastDue = t.ScheduledMs;
                    tokens[i] += t.Count;
                }
                else if (m.Finished is { } f) { ttft[i] = f.TtftMs; tpot[i] = f.TpotMs; }
            }
        }));
        double seconds = wall.Elapsed.TotalSeconds;
        var s = (await client.GetDeploymentAsync(new GetDeploymentRequest { Name = name })).Deployment.Stats;
        await client.DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = name });
        var all = jitter.SelectMany(j => j).Select(Math.Abs).Order().ToArray();
        double P(double[] a, double q) => a.Length == 0 ? 0 : a[Math.Min(a.Length - 1, (int)(q * a.Length))];
        int complete = tokens.Count(t => t == maxTokens);
        Console.WriteLine($"live serving: {streams} concurrent streams x {maxTokens} tokens (prompt {prompt}), " +
                          $"time scale {scale}, {seconds:F1} s wall");
        Console.WriteLine($"  streams finished with {maxTokens} tokens: {complete}/{streams}");
        Console.WriteLine($"  token-interval jitter vs scheduled: p50 {P(all, 0.5):F2} ms, p99 {P(all, 0.99):F2} ms " +
                          $"({all.Length} intervals)");
        Console.WriteLine($"  TTFT p50 {P([.. ttft.Order()], 0.5):F1} ms, TPOT p50 {P([.. tpot.Order()], 0.5):F2} " +
                          $"ms, {s.GenerationTokens / seconds:F0} tokens/s");
        Console.WriteLine($"  scheduler: {s.Steps} steps, {s.SchedulerSeconds / Math.Max(1, s.Steps) * 1e6:F1} " +
                          "us/step, " +
                          $"{s.SchedulerSeconds / Math.Max(1, s.ScheduledRequestSteps) * 1e6:F2} us per stream-step, " +
                          $"late step p99 {s.LateStepP99Ms:F2} ms");
        return complete == streams ? 0 : 1;
    }
}
