using System.Text.Json;
using Grpc.Net.Client;
using Platform.Contracts.Jobs.V1;

namespace Platform.IntegrationTests;

/// <summary>
/// With Platform:Logging:Json on (as in the container image) the host writes one JSON object a line, and a line
/// written while serving a call carries that call's trace and span ids, so a log line leads to its trace.
/// </summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task Json_logs_carry_the_trace_and_span_of_the_call()
    {
        await using var host = await HostProcess.StartAsync("training,emulator", new Dictionary<string, string>
        {
            ["Platform__Logging__Json"] = "true",
        });
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        var jobs = new JobService.JobServiceClient(channel);
        // A job that does not exist: NotFound, which the request log reports at Information.
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await jobs.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);

        JsonElement? line = null;
        for (int i = 0; i < 50 && line is null; i++)
        {
            if (i > 0) await Task.Delay(100);
            line = Lines(host.Output).Cast<JsonElement?>().FirstOrDefault(l =>
                l!.Value.TryGetProperty("RequestPath", out var p) && p.GetString()!.EndsWith("/GetJob"));
        }
        Assert.True(line is not null, "no JSON request log line for GetJob:\n" + host.Output);
        Assert.Matches("^[0-9a-f]{32}$", line!.Value.GetProperty("@tr").GetString());
        Assert.Matches("^[0-9a-f]{16}$", line.Value.GetProperty("@sp").GetString());
        // Every line the host wrote is JSON (nothing in plain text beside it).
        Assert.All(host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            l => Assert.StartsWith("{", l));
    }

    private static IEnumerable<JsonElement> Lines(string output)
    {
        foreach (string l in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            JsonElement e;
            try { e = JsonDocument.Parse(l).RootElement; }
            catch (JsonException) { continue; }
            yield return e;
        }
    }
}
