using System.Diagnostics;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Platform.IntegrationTests;

/// <summary>What the fault tests ask a host process: readiness, over gRPC and HTTP, and small training jobs.</summary>
public static class FaultProbes
{
    /// <summary>The host's gRPC readiness ("readiness" service), Unknown when it does not answer.</summary>
    public static async Task<ServingStatus> ReadinessAsync(HostProcess host)
    {
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        try
        {
            return (await new Health.HealthClient(channel).CheckAsync(
                new HealthCheckRequest { Service = "readiness" }, deadline: DateTime.UtcNow.AddSeconds(5))).Status;
        }
        catch (RpcException)
        {
            return ServingStatus.Unknown;
        }
    }

    /// <summary>Polls readiness until it is <paramref name="wanted"/>; returns how long that took.</summary>
    public static async Task<TimeSpan> WaitReadinessAsync(HostProcess host, ServingStatus wanted, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        ServingStatus last;
        while ((last = await ReadinessAsync(host)) != wanted)
        {
            Assert.True(clock.Elapsed < limit, $"readiness still {last} after {limit.TotalSeconds:0} s, not {wanted}");
            await Task.Delay(200);
        }
        return clock.Elapsed;
    }

    /// <summary>GET /health/ready on the host's HTTP endpoint: the status code and the body.</summary>
    public static async Task<(int Code, string Body)> HttpReadyAsync(HostProcess host)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync($"http://127.0.0.1:{host.HttpPort}/health/ready");
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A small, fast estimate job: Llama 3.1 8B on 64 H100. <paramref name="variant"/> changes the token count, so
    /// no two jobs are served by the estimate cache.
    /// </summary>
    public static SubmitEstimateJobRequest SmallEstimate(int variant) => new()
    {
        Run = new TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" },
            TrainingTokens = 1_000_000_000_000 + variant * 1_000_000L,
            SequenceLength = 4096, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
        },
    };

    /// <summary>Job ids in the host's log lines "Training job {id} ... {what}", with how often each appears.</summary>
    public static Dictionary<string, int> CountJobLines(string output, string what)
    {
        var counts = new Dictionary<string, int>();
        var pattern = new System.Text.RegularExpressions.Regex(
            @"Training job ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b[^\n]*?" +
            System.Text.RegularExpressions.Regex.Escape(what));
        foreach (System.Text.RegularExpressions.Match m in pattern.Matches(output))
            counts[m.Groups[1].Value] = counts.GetValueOrDefault(m.Groups[1].Value) + 1;
        return counts;
    }
}
