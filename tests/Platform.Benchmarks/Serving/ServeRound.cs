using System.Diagnostics;
using Grpc.Core;
using Platform.Contracts.Inference.V1;

namespace Platform.Benchmarks;

/// <summary>
/// One round of the `serve` benchmark: a deployment of its own, <c>streams</c> concurrent Generate streams, and per
/// token message three intervals against the previous message of the same stream: as received by the client (Δr), as
/// emitted by the engine (Δe, <see cref="GenerateTokens.ElapsedMs"/>) and as scheduled by the step-time model (Δs,
/// <see cref="GenerateTokens.ScheduledMs"/>). Engine jitter is |Δe − Δs| (the replica loop's wake-up error),
/// delivery jitter |Δr − Δe| (gRPC write, network and the client's read), total jitter |Δr − Δs| (their sum,
/// what a user sees). Emission lateness is ElapsedMs − ScheduledMs of each message (both on the host's clock).
/// </summary>
internal sealed class ServeRound
{
    public required List<double> Total, Engine, Delivery, Lateness;
    public required double[] Ttft, Tpot;
    public required int[] Tokens;
    public required double Seconds;
    public required LiveDeploymentStats Stats;

    /// <summary>The client's collections (gen0, gen1, gen2) and bytes allocated while the streams ran.</summary>
    public required (int Gen0, int Gen1, int Gen2, long Bytes) ClientGc;

    public static async Task<ServeRound> RunAsync(InferenceSchedulerService.InferenceSchedulerServiceClient client,
        string name, int streams, int maxTokens, int prompt, double scale)
    {
        await client.CreateDeploymentAsync(new CreateDeploymentRequest
        {
            Name = name, Model = new() { Preset = "llama-3.1-8b" },
            Deployment = new Deployment { Accelerator = "h100-sxm", Replicas = 1, TensorParallel = 1 },
            TimeScale = scale,
        });
        var perStream =
            new (List<double> Total, List<double> Engine, List<double> Delivery, List<double> Late)[streams];
        var ttft = new double[streams];
        var tpot = new double[streams];
        var tokens = new int[streams];
        var gc0 = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes());
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async i =>
        {
            var s = perStream[i] = (new List<double>(maxTokens), new List<double>(maxTokens),
                new List<double>(maxTokens), new List<double>(maxTokens));
            using var call = client.Generate(new GenerateRequest
            {
                Deployment = name, PromptTokens = prompt, MaxTokens = maxTokens,
            });
            double lastRecv = -1, lastEmit = 0, lastDue = 0;
            await foreach (var m in call.ResponseStream.ReadAllAsync())
            {
                if (m.Tokens is { } t)
                {
                    double recv = clock.Elapsed.TotalMilliseconds;
                    s.Late.Add(t.ElapsedMs - t.ScheduledMs);
                    if (lastRecv >= 0)
                    {
                        double dr = recv - lastRecv, de = t.ElapsedMs - lastEmit, ds = t.ScheduledMs - lastDue;
                        s.Total.Add(Math.Abs(dr - ds));
                        s.Engine.Add(Math.Abs(de - ds));
                        s.Delivery.Add(Math.Abs(dr - de));
                    }
                    (lastRecv, lastEmit, lastDue) = (recv, t.ElapsedMs, t.ScheduledMs);
                    tokens[i] += t.Count;
                }
                else if (m.Finished is { } f) { ttft[i] = f.TtftMs; tpot[i] = f.TpotMs; }
            }
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        var clientGc = (GC.CollectionCount(0) - gc0.Item1, GC.CollectionCount(1) - gc0.Item2,
            GC.CollectionCount(2) - gc0.Item3, GC.GetTotalAllocatedBytes() - gc0.Item4);
        var stats = (await client.GetDeploymentAsync(new GetDeploymentRequest { Name = name })).Deployment.Stats;
        await client.DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = name });
        return new ServeRound
        {
            Total = [.. perStream.SelectMany(p => p.Total)], Engine = [.. perStream.SelectMany(p => p.Engine)],
            Delivery = [.. perStream.SelectMany(p => p.Delivery)], Lateness = [.. perStream.SelectMany(p => p.Late)],
            ClientGc = clientGc, Ttft = ttft, Tpot = tpot, Tokens = tokens, Seconds = seconds, Stats = stats,
        };
    }

    /// <summary>The q-quantile of <paramref name="values"/> (nearest rank).</summary>
    public static double P(IEnumerable<double> values, double q)
    {
        var a = values.Order().ToArray();
        return a.Length == 0 ? 0 : a[Math.Min(a.Length - 1, (int)(q * a.Length))];
    }

    public static string Distribution(List<double> values) =>
        $"p50 {P(values, 0.5):F2} ms, p99 {P(values, 0.99):F2} ms, max {(values.Count > 0 ? values.Max() : 0):F2} ms";
}
