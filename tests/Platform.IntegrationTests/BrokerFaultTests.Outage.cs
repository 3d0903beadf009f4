using System.Diagnostics;
using Grpc.Net.Client;
using Microsoft.Data.Sqlite;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Platform.IntegrationTests;

/// <summary>
/// With the broker down the host says it is not ready and refuses a job at once (Unavailable naming the message
/// bus) without recording it; once the broker is back it is ready again and runs jobs, without being restarted.
/// </summary>
public sealed partial class BrokerFaultTests
{
    [Fact]
    public async Task With_the_broker_down_submit_fails_fast_leaving_no_job_and_readiness_is_not_serving()
    {
        string db = Path.Combine(Path.GetTempPath(), $"platform-outage-{Guid.NewGuid():N}.db");
        try
        {
            await using var host = await HostProcess.StartAsync("training,emulator", new Dictionary<string, string>
            {
                ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = $"o{Guid.NewGuid():N}"[..9],
                ["Platform__AutoDeleteQueues"] = "false", ["ConnectionStrings__Platform"] = $"Data Source={db}",
            });
            using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
            var client = new TrainingCostService.TrainingCostServiceClient(channel);
            Assert.Equal(200, (await FaultProbes.HttpReadyAsync(host)).Code);

            await broker.StopAppAsync();
            try
            {
                var notReady = await FaultProbes.WaitReadinessAsync(host, ServingStatus.NotServing,
                    TimeSpan.FromSeconds(30));
                var (code, body) = await FaultProbes.HttpReadyAsync(host);
                Assert.Equal(503, code);
                Assert.Equal("Unhealthy", body);

                var slowest = TimeSpan.Zero;
                for (int i = 0; i < 3; i++)
                {
                    var clock = Stopwatch.StartNew();
                    var e = await Assert.ThrowsAsync<RpcException>(() => client.SubmitEstimateJobAsync(
                        FaultProbes.SmallEstimate(i), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
                    slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
                    Assert.Equal(StatusCode.Unavailable, e.StatusCode);
                    Assert.Contains("message bus", e.Status.Detail);
                    Assert.Contains("try again", e.Status.Detail);
                }
                Assert.True(slowest < TimeSpan.FromSeconds(2), $"a refusal took {slowest.TotalSeconds:0.0} s");
                Assert.Equal(0, CountJobRows(db)); // nothing recorded of the refused jobs
                output.WriteLine($"not serving {notReady.TotalSeconds:0.0} s after stop_app; slowest refusal "
                                 + $"{slowest.TotalMilliseconds:0} ms");
            }
            finally
            {
                await broker.StartAppAsync();
            }

            var ready = await FaultProbes.WaitReadinessAsync(host, ServingStatus.Serving, TimeSpan.FromSeconds(60));
            Assert.Equal(200, (await FaultProbes.HttpReadyAsync(host)).Code);
            string id = (await client.SubmitEstimateJobAsync(FaultProbes.SmallEstimate(100))).JobId;
            Assert.Equal(JobState.Succeeded, (await Platform.Testing.JobPolling.WaitFinished(client, id)).State);
            Assert.Equal(1, CountJobRows(db));
            output.WriteLine($"serving again {ready.TotalSeconds:0.0} s after start_app");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (string f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f);
        }
    }

    private static long CountJobRows(string db)
    {
        using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs";
        return (long)command.ExecuteScalar()!;
    }
}
