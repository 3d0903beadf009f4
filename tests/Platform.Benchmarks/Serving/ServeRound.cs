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

    /// <summary>Per stream, each token message's receipt time on the client's clock and emission time (ElapsedMs,
    /// from the request's arrival on the host's clock), in ms.</summary>
    public required (double Received, double Emitted, double Late)[][] Messages;
    public required double[] Ttft, Tpot;
    public required int[] Tokens;
    public required double Seconds;
    public required LiveDeploymentStats Stats;

    /// <summary>The client's collections (gen0, gen1, gen2) and bytes allocated while the streams ran.</summary>
    public required (int Gen0, int Gen1, int Gen2, long Bytes) ClientGc;

    /// <summary>The client process's CPU time (user and kernel) while the streams ran.</summary>
    public required TimeSpan ClientCpu;

    /// <param name="raw">Null: each stream read with Grpc.Net.Client on <paramref name="client"/>'s channel; else the
    /// gRPC address to read the streams from with <see cref="RawGrpcStreams"/>.</param>
    public static async Task<ServeRound> RunAsync(InferenceSchedulerService.InferenceSchedulerServiceClient client,
        string name, int streams, int maxTokens, int prompt, double scale, Uri? raw)
    {
        await client.CreateDeploymentAsync(new CreateDeploymentRequest
        {
            Name = name, Model = new() { Preset = "llama-3.1-8b" },
            Deployment = new Deployment { Accelerator = "h100-sxm", Replicas = 1, TensorParallel = 1 },
            TimeScale = scale,
        });
        var received = new Received[streams];
        for (int i = 0; i < streams; i++) received[i] = new Received(maxTokens);
        var request = new GenerateRequest { Deployment = name, PromptTokens = prompt, MaxTokens = maxTokens };
        var gc0 = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes());
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        if (raw is not null)
            await RawGrpcStreams.RunAsync(raw, "/platform.inference.v1.InferenceSchedulerService/Generate",
                [.. Enumerable.Repeat(request, streams)],
                (i, m, at) => received[i].On(m, Stopwatch.GetElapsedTime(start, at).TotalMilliseconds));
        else
            await Task.WhenAll(Enumerable.Range(0, streams).Select(async i =>
            {
                using var call = client.Generate(request);
                await foreach (var m in call.ResponseStream.ReadAllAsync())
                    received[i].On(m, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }));
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        var clientGc = (GC.CollectionCount(0) - gc0.Item1, GC.CollectionCount(1) - gc0.Item2,
            GC.CollectionCount(2) - gc0.Item3, GC.GetTotalAllocatedBytes() - gc0.Item4);
        var stats = (await client.GetDeploymentAsync(new GetDeploymentRequest { Name = name })).Deployment.Stats;
        await client.DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = name });
        return new ServeRound
        {
            Total = [.. received.SelectMany(p => p.Total)], Engine = [.. received.SelectMany(p => p.Engine)],
            Delivery = [.. received.SelectMany(p => p.Delivery)], Lateness = [.. received.SelectMany(p => p.Late)],
            Messages = [.. received.Select(p => p.Messages.ToArray())], ClientGc = clientGc, ClientCpu = cpu,
            Ttft = [.. received.Select(p => p.Ttft)], Tpot = [.. received.Select(p => p.Tpot)],
            Tokens = [.. received.Select(p => p.Tokens)], Seconds = seconds, Stats = stats,
        };
    }

    /// <summary>One stream's messages as the client received them (times in ms on the client's clock).</summary>
    private sealed class Received(int maxTokens)
    {
        public readonly List<double> Total = new(maxTokens), Engine = new(maxTokens), Delivery = new(maxTokens),
            Late = new(maxTokens);
        public readonly List<(double, double, double)> Messages = new(maxTokens);
        public int Tokens;
        public double Ttft, Tpot;
        private double _lastRecv = -1, _lastEmit, _lastDue;

        public void On(GenerateResponse m, double recv)
        {
            if (m.Tokens is { } t)
            {
                Late.Add(t.ElapsedMs - t.ScheduledMs);
                Messages.Add((recv, t.ElapsedMs, t.ElapsedMs - t.ScheduledMs));
                if (_lastRecv >= 0)
                {
                    double dr = recv - _lastRecv, de = t.ElapsedMs - _lastEmit, ds = t.ScheduledMs - _lastDue;
                    Total.Add(Math.Abs(dr - ds));
                    Engine.Add(Math.Abs(de - ds));
                    Delivery.Add(Math.Abs(dr - de));
                }
                (_lastRecv, _lastEmit, _lastDue) = (recv, t.ElapsedMs, t.ScheduledMs);
                Tokens += t.Count;
            }
            else if (m.Finished is { } f) (Ttft, Tpot) = (f.TtftMs, f.TpotMs);
        }
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
