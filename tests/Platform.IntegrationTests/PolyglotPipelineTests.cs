using System.Diagnostics;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>
/// Pipelines written in another language (Node.js + amqplib) drive the emulator and training-cost over RabbitMQ.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class PolyglotPipelineTests(BrokerFixture broker)
{
    [Fact]
    public async Task Node_pipeline_gets_op_timings_from_the_emulator_over_rabbitmq()
    {
        await using var emulator = await HostProcess.StartAsync("emulator",
            new Dictionary<string, string>
            {
                ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = $"n{Guid.NewGuid():N}"[..9],
            });

        var (exit, stdout, stderr) = await RunNode("examples/amqp/estimate-ops.mjs", "h800");
        Assert.True(exit == 0, $"node exited {exit}: {stderr}");
        using var reply = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        Assert.Equal("urn:message:Platform.Contracts.Messaging:OpsEstimated",
            reply.RootElement.GetProperty("type").GetString());
        Assert.True(reply.RootElement.GetProperty("message").GetProperty("totalDeviceSeconds").GetDouble() > 0);
    }

    [Fact]
    public async Task Node_pipeline_runs_a_training_estimate_and_gets_its_completion_event()
    {
        await using var host = await HostProcess.StartAsync("training,emulator",
            new Dictionary<string, string>
            {
                ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = $"t{Guid.NewGuid():N}"[..9],
            });

        var (exit, stdout, stderr) = await RunNode("examples/amqp/training-job.mjs", "llama-3.1-8b", "h100-sxm", "64");
        Assert.True(exit == 0, $"node exited {exit}: {stderr}");
        using var done = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = done.RootElement;
        Assert.Equal("urn:message:Platform.Contracts.Messaging:TrainingJobCompleted",
            root.GetProperty("type").GetString());
        Assert.True(root.GetProperty("succeeded").GetBoolean(), stdout);
        Assert.True(root.GetProperty("result").GetProperty("acceleratorHours").GetDouble() > 0);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunNode(string script, params string[] args)
    {
        string root = RepositoryRoot();
        if (!Directory.Exists(Path.Combine(root, "node_modules", "amqplib")))
            throw new InvalidOperationException("node_modules/amqplib missing: run `npm ci` (make test does)");
        var psi = new ProcessStartInfo("node", [script, .. args])
        {
            WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["RABBITMQ_URL"] = broker.Url;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
