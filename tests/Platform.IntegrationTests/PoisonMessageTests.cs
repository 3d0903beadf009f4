using System.Text.Json;
using MassTransit;
using TrainingCost.Messaging;

namespace Platform.IntegrationTests;

/// <summary>
/// Messages a consumer cannot take, sent by a Node.js (amqplib) client straight to the training job queue: they end in
/// the queue's _error or _skipped queue with the reason, and the consumer goes on taking work.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class PoisonMessageTests(BrokerFixture broker)
{
    [Fact]
    public async Task Malformed_mistyped_and_unknown_messages_are_dead_lettered_and_the_consumer_keeps_consuming()
    {
        string prefix = $"x{Guid.NewGuid():N}"[..9];
        await using var host = await HostProcess.StartAsync("training,emulator", new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = prefix,
        });
        string queue = new KebabCaseEndpointNameFormatter(prefix, false).Consumer<TrainingJobConsumer>();

        var (exit, stdout, stderr) = await RunNodeAsync("tests/Platform.IntegrationTests/poison-messages.mjs", queue);
        Assert.True(exit == 0, $"node exited {exit}: {stderr}\n{host.Output}");
        using var report = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = report.RootElement;
        var ids = root.GetProperty("ids");
        var error = root.GetProperty("error").EnumerateArray().ToList();
        var skipped = root.GetProperty("skipped").EnumerateArray().ToList();

        // Not JSON, and JSON of the wrong shape: in _error with the fault, at once (no retries of bad input).
        foreach (string name in new[] { "notJson", "wrongTypes" })
        {
            string id = ids.GetProperty(name).GetString()!;
            var dead = error.SingleOrDefault(e => e.GetProperty("messageId").GetString() == id);
            Assert.True(dead.ValueKind == JsonValueKind.Object, $"{name} message {id} not in {queue}_error: {stdout}");
            Assert.Equal("fault", dead.GetProperty("reason").GetString());
            Assert.NotEmpty(dead.GetProperty("fault").GetString()!);
            Assert.Equal(0, dead.GetProperty("retries").GetInt32());
        }
        // A message type nobody here consumes: in _skipped.
        string unknown = ids.GetProperty("unknown").GetString()!;
        Assert.Contains(skipped, s => s.GetProperty("messageId").GetString() == unknown);
        // The consumer kept consuming: the valid job after them completed.
        Assert.True(root.GetProperty("valid").GetProperty("succeeded").GetBoolean(), stdout);
        // /metrics counts the two messages moved to the _error queue, by queue.
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"{host.HttpUrl}/metrics");
        double faults = metrics.Split('\n').Where(l => l.StartsWith("platform_bus_consume_faults_total{")
                                                       && l.Contains($"queue=\"{queue}\""))
            .Sum(l => double.Parse(l[(l.LastIndexOf("} ") + 2)..].Split(' ')[0],
                System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(faults >= 2, $"platform_bus_consume_faults_total for {queue}: {faults}\n{metrics}");
    }

    private Task<(int Exit, string Stdout, string Stderr)> RunNodeAsync(string script, params string[] args) =>
        NodeScript.RunAsync(broker.Url, TimeSpan.FromSeconds(90), script, args);
}
