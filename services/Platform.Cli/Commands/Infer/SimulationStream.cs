using Grpc.Core;
using Platform.Cli.Charts;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Inference.V1;

namespace Platform.Cli.Commands.Infer;

/// <summary>
/// A simulation whose per-request results are kept for a latency CDF: StreamSimulation sends every request's TTFT and
/// TPOT, then the same summary SimulateWorkload returns.
/// </summary>
public static class SimulationStream
{
    /// <summary>Most request rows kept for a chart (the CDF of a longer run is drawn from the first ones).</summary>
    public const int MaxRows = 1_000_000;

    public static async Task<(SimulateWorkloadResponse Summary, LatencySamples Samples)> RunAsync(Connection c,
        SimulateWorkloadRequest request, string name, CancellationToken ct)
    {
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker);
        using var call = client.StreamSimulation(new StreamSimulationRequest { Request = request }, c.Options(ct));
        var ttft = new List<double>();
        var tpot = new List<double>();
        SimulateWorkloadResponse? summary = null;
        await foreach (var m in call.ResponseStream.ReadAllAsync(ct))
        {
            if (m.ItemCase == StreamSimulationResponse.ItemOneofCase.Summary) summary = m.Summary;
            else if (m.ItemCase == StreamSimulationResponse.ItemOneofCase.Request && ttft.Count < MaxRows)
            {
                ttft.Add(m.Request.TtftMs);
                // TPOT is undefined for a request with a single output token (vLLM leaves such requests out too).
                if (m.Request.OutputTokens > 1) tpot.Add(m.Request.TpotMs);
            }
        }
        if (summary is null)
            throw new RpcException(new Status(StatusCode.Unavailable, "the simulation stream ended without a summary"));
        return (summary, new LatencySamples(name, ttft, tpot));
    }
}
