using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>
/// Pipelines written in another language (Node.js + amqplib) drive the emulator, training-cost and capacity
/// planning over RabbitMQ.
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

    [Fact]
    public async Task Node_pipeline_runs_a_capacity_plan_on_the_inference_fleet_and_gets_its_completion_event()
    {
        await using var host = await HostProcess.StartAsync("inference,emulator",
            new Dictionary<string, string>
            {
                ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = $"c{Guid.NewGuid():N}"[..9],
            });

        var (exit, stdout, stderr) = await RunNode("examples/amqp/capacity-plan.mjs", "20", "h100-sxm,a100-80gb");
        Assert.True(exit == 0, $"node exited {exit}: {stderr}");
        using var done = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = done.RootElement;
        Assert.Equal("urn:message:Platform.Contracts.Messaging:CapacityPlanCompleted",
            root.GetProperty("type").GetString());
        Assert.True(root.GetProperty("succeeded").GetBoolean(), stdout);
        var options = root.GetProperty("options").EnumerateArray().ToList();
        Assert.NotEmpty(options);
        Assert.Contains("Capacity probe 0 of job", host.Output); // its layouts ran as probes on the bus
    }

    private Task<(int Exit, string Stdout, string Stderr)> RunNode(string script, params string[] args) =>
        NodeScript.RunAsync(broker.Url, TimeSpan.FromSeconds(60), script, args);
}
