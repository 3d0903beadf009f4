using System.Globalization;
using System.Runtime;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;

namespace Platform.Benchmarks;

/// <summary>
/// `serve`: a load client in its own process against a host's live deployment (scripts/serve-bench.sh starts the
/// host): --warmup rounds (default 1, each on a deployment of its own, not measured: the client's and the host's
/// code paths are compiled and their pools filled), then the measured round: --streams concurrent Generate streams
/// (synthetic prompts of --prompt tokens, --max-tokens each, time scale --time-scale), read with Grpc.Net.Client
/// (--client grpc, the default) or frame by frame (--client raw, <see cref="RawGrpcStreams"/>). Prints streams
/// finished with the requested tokens; total, engine and delivery jitter and emission lateness
/// (<see cref="ServeRound"/>), delivery delay by step (<see cref="DeliverySteps"/>);
/// TTFT/TPOT p50; the engine's scheduler overhead per step and per stream-step and late-step p99; the client's garbage
/// collections and bytes allocated while the streams ran; and, with --http (the host's HTTP endpoint), the host's
/// bytes allocated per streamed token and its collections, read from its /metrics before and after the round.
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
        int Int(string name, string fallback) => int.Parse(Arg(name, fallback), CultureInfo.InvariantCulture);
        var options = new Options(Arg("--grpc", "http://127.0.0.1:15280"), Arg("--http", ""), Int("--streams", "1000"),
            Int("--max-tokens", "64"), Int("--prompt", "256"),
            double.Parse(Arg("--time-scale", "1"), CultureInfo.InvariantCulture), Int("--warmup", "1"),
            Arg("--client", "grpc"));
        return RunAsync(options).GetAwaiter().GetResult();
    }

    private sealed record Options(string Grpc, string Http, int Streams, int MaxTokens, int Prompt, double Scale,
        int Warmup, string Client);

    private static async Task<int> RunAsync(Options o)
    {
        using var channel = GrpcChannel.ForAddress(o.Grpc, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(channel);
        using var http = new HttpClient();
        Uri? raw = o.Client switch
        {
            "raw" => new Uri(o.Grpc),
            "grpc" => null,
            _ => throw new ArgumentException($"--client is grpc or raw, not {o.Client}"),
        };
        for (int w = 0; w < o.Warmup; w++)
            await ServeRound.RunAsync(client, $"bench-warmup-{w}", o.Streams, o.MaxTokens, o.Prompt, o.Scale, raw);
        var hostBefore = await HostCounters.ReadAsync(http, o.Http);
        var r = await ServeRound.RunAsync(client, "bench-llama-8b-h100", o.Streams, o.MaxTokens, o.Prompt, o.Scale,
            raw);
        var clientGc = r.ClientGc;
        var hostAfter = await HostCounters.ReadAsync(http, o.Http);
        var s = r.Stats;
        int complete = r.Tokens.Count(t => t == o.MaxTokens);
        long streamed = r.Tokens.Sum(t => (long)t);
        Console.WriteLine($"live serving: {o.Streams} concurrent streams x {o.MaxTokens} tokens (prompt {o.Prompt}), " +
                          $"time scale {o.Scale}, {r.Seconds:F1} s wall, after {o.Warmup} warm-up round(s), " +
                          (raw is null ? "Grpc.Net.Client" : "raw HTTP/2 client"));
        Console.WriteLine($"  streams finished with {o.MaxTokens} tokens: {complete}/{o.Streams}");
        Console.WriteLine("  token-interval jitter vs scheduled (client receipt): " +
                          $"{ServeRound.Distribution(r.Total)} ({r.Total.Count} intervals)");
        Console.WriteLine($"    engine (emission vs schedule):  {ServeRound.Distribution(r.Engine)}");
        Console.WriteLine($"    delivery (receipt vs emission): {ServeRound.Distribution(r.Delivery)}");
        Console.WriteLine($"    emission lateness per message:  {ServeRound.Distribution(r.Lateness)}");
        Console.WriteLine($"    delivery delay by step: {DeliverySteps.Describe(r.Messages)}");
        Console.WriteLine($"  TTFT p50 {ServeRound.P(r.Ttft, 0.5):F1} ms, TPOT p50 {ServeRound.P(r.Tpot, 0.5):F2} " +
                          $"ms, {streamed / r.Seconds:F0} tokens/s");
        Console.WriteLine($"  scheduler: {s.Steps} steps, {s.SchedulerSeconds / Math.Max(1, s.Steps) * 1e6:F1} " +
                          "us/step, " +
                          $"{s.SchedulerSeconds / Math.Max(1, s.ScheduledRequestSteps) * 1e6:F2} us per stream-step, " +
                          $"late step p99 {s.LateStepP99Ms:F2} ms");
        Console.WriteLine($"  client GC ({(GCSettings.IsServerGC ? "server" : "workstation")}): gen0/1/2 " +
                          $"{clientGc.Gen0}/{clientGc.Gen1}/{clientGc.Gen2} collections while the streams ran, " +
                          $"{clientGc.Bytes / (double)Math.Max(1, streamed):F0} bytes allocated per token, " +
                          $"{r.ClientCpu.TotalMicroseconds / Math.Max(1, r.Total.Count + o.Streams):F1} us of CPU " +
                          "per token message");
        if (hostBefore is { } b && hostAfter is { } a)
            Console.WriteLine($"  host: {(a.AllocatedBytes - b.AllocatedBytes) / (double)Math.Max(1, streamed):F0} " +
                              $"bytes allocated per streamed token ({streamed} tokens), gen0/1/2 " +
                              $"{a.Gen0 - b.Gen0}/{a.Gen1 - b.Gen1}/{a.Gen2 - b.Gen2} collections during the round");
        return complete == o.Streams ? 0 : 1;
    }
}
