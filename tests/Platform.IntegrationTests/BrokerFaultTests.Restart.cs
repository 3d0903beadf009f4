using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Net.Client;
using MassTransit;
using Platform.Contracts.Messaging;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Xunit.Abstractions;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Platform.IntegrationTests;

/// <summary>
/// Training jobs on a broker that restarts under them: every job the host accepted succeeds, each run to success
/// once; submissions while the broker is down are refused at once.
/// </summary>
public sealed partial class BrokerFaultTests
{
    private const int Jobs = 500;
    private const int Submitters = 16;
    private const int StopAfterAccepted = 200;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Every_job_accepted_around_a_broker_restart_succeeds_exactly_once()
    {
        string prefix = $"r{Guid.NewGuid():N}"[..9];
        await using var host = await HostProcess.StartAsync("training,emulator", new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = prefix,
            ["Platform__AutoDeleteQueues"] = "false", // the job queue must outlive the broker's restart
            ["Training__MaxActiveJobs"] = "1000", ["Platform__Bus__PublishTimeout"] = "00:00:03",
        });
        // Completion events land in a durable queue of the test's own, so none published around the restart is lost.
        var events = new ConcurrentDictionary<Guid, (int Succeeded, int Failed)>();
        var listener = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(broker.Url));
            cfg.ReceiveEndpoint($"{prefix}-test-completions", e => e.Handler<TrainingJobCompleted>(c =>
            {
                events.AddOrUpdate(c.Message.JobId, _ => c.Message.Succeeded ? (1, 0) : (0, 1),
                    (_, n) => c.Message.Succeeded ? (n.Succeeded + 1, n.Failed) : (n.Succeeded, n.Failed + 1));
                return Task.CompletedTask;
            }));
        });
        await listener.StartAsync();
        try
        {
            using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
            var client = new TrainingCostService.TrainingCostServiceClient(channel);
            var run = await SubmitAroundRestartAsync(client, host);
            await AssertAllSucceededOnceAsync(client, host, run, events);
        }
        finally
        {
            await listener.StopAsync();
        }
    }

    private sealed record Run(ConcurrentDictionary<string, int> Accepted, ConcurrentBag<TimeSpan> RefusalLatencies,
        int UnfinishedAtStop, TimeSpan ReadyAgainAfter, TimeSpan FirstAcceptAfter);

    /// <summary>
    /// Submits <see cref="Jobs"/> jobs from <see cref="Submitters"/> clients that retry a refused submission after a
    /// pause, and restarts the broker once <see cref="StopAfterAccepted"/> were accepted.
    /// </summary>
    private async Task<Run> SubmitAroundRestartAsync(TrainingCostService.TrainingCostServiceClient client,
        HostProcess host)
    {
        var accepted = new ConcurrentDictionary<string, int>();
        var refused = new ConcurrentBag<TimeSpan>();
        var unexpected = new ConcurrentBag<string>();
        var stopTrigger = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long restartedAt = 0, firstAcceptAfterRestart = 0;
        int next = -1;
        var clock = Stopwatch.StartNew();
        var restart = RestartBrokerAsync();
        var submitters = Enumerable.Range(0, Submitters).Select(async _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < Jobs; i = Interlocked.Increment(ref next))
            {
                for (int attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 200, $"job {i} still refused after {attempt} attempts");
                    var sent = clock.Elapsed;
                    try
                    {
                        string id = (await client.SubmitEstimateJobAsync(FaultProbes.SmallEstimate(i),
                            deadline: DateTime.UtcNow.AddSeconds(30))).JobId;
                        accepted[id] = i;
                        if (Volatile.Read(ref restartedAt) > 0)
                            Interlocked.CompareExchange(ref firstAcceptAfterRestart, clock.Elapsed.Ticks, 0);
                        if (accepted.Count >= StopAfterAccepted) stopTrigger.TrySetResult();
                        break;
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                    {
                        refused.Add(clock.Elapsed - sent);
                        Assert.Contains("message bus", e.Status.Detail);
                        await Task.Delay(250);
                    }
                    catch (RpcException e)
                    {
                        unexpected.Add($"{e.StatusCode}: {e.Status.Detail}");
                        break;
                    }
                }
            }
        }).ToList();
        await Task.WhenAll(submitters);
        var (unfinishedAtStop, readyAfter) = await restart;
        Assert.Empty(unexpected);
        var firstAccept = firstAcceptAfterRestart == 0
            ? TimeSpan.MaxValue
            : TimeSpan.FromTicks(firstAcceptAfterRestart - restartedAt);
        return new Run(accepted, refused, unfinishedAtStop, readyAfter, firstAccept);

        async Task<(int, TimeSpan)> RestartBrokerAsync()
        {
            await stopTrigger.Task;
            await broker.StopAppAsync();
            // Jobs accepted but not finished when the broker went: these are in flight through the outage.
            var ids = accepted.Keys.ToList();
            int unfinished = 0;
            foreach (string id in ids)
                if ((await client.GetJobAsync(new GetJobRequest { JobId = id })).Job.State
                    is not (JobState.Succeeded or JobState.Failed))
                    unfinished++;
            output.WriteLine($"broker stopped at {clock.Elapsed.TotalSeconds:0.0} s with {ids.Count} accepted, "
                             + $"{unfinished} of them unfinished");
            await Task.Delay(Outage);
            await broker.StartAppAsync();
            Volatile.Write(ref restartedAt, clock.Elapsed.Ticks);
            return (unfinished, await FaultProbes.WaitReadinessAsync(host, ServingStatus.Serving,
                TimeSpan.FromSeconds(60)));
        }
    }

    private async Task AssertAllSucceededOnceAsync(TrainingCostService.TrainingCostServiceClient client,
        HostProcess host, Run run, ConcurrentDictionary<Guid, (int Succeeded, int Failed)> events)
    {
        Assert.Equal(Jobs, run.Accepted.Count); // refused submissions were retried until accepted
        Assert.True(run.UnfinishedAtStop > 0, "no job was in flight when the broker stopped: the test proved nothing");
        Assert.NotEmpty(run.RefusalLatencies); // submissions while the broker was down were refused...
        // ...fast, not at the caller's 30 s deadline: at once while the bus is known to be down, within the publish
        // timeout (3 s here) and some scheduling slack for those caught while the broker was going away.
        Assert.True(run.RefusalLatencies.Max() < TimeSpan.FromSeconds(10),
            $"slowest refusal {run.RefusalLatencies.Max().TotalSeconds:0.0} s");

        var clock = Stopwatch.StartNew();
        var pending = run.Accepted.Keys.ToHashSet();
        while (pending.Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            foreach (string id in pending.ToList())
            {
                var job = (await client.GetJobAsync(new GetJobRequest { JobId = id })).Job;
                if (job.State == JobState.Failed) Assert.Fail($"job {id} failed: {job.Message} {job.ErrorReason}");
                if (job.State == JobState.Succeeded) pending.Remove(id);
            }
            if (pending.Count > 0) await Task.Delay(500);
        }
        Assert.True(pending.Count == 0,
            $"{pending.Count} accepted jobs never finished, e.g. {pending.FirstOrDefault()}");
        var allDone = clock.Elapsed;

        // Each job ran to success exactly once: one "succeeded" line per job in the host's log.
        var runs = FaultProbes.CountJobLines(host.Output, "(estimate) succeeded");
        foreach (string id in run.Accepted.Keys)
            Assert.True(runs.GetValueOrDefault(id) == 1, $"job {id} ran to success {runs.GetValueOrDefault(id)} times");
        int phantoms = runs.Keys.Count(id => !run.Accepted.ContainsKey(id));

        // Every completion event arrives at least once (a lost one is announced again on redelivery).
        while (run.Accepted.Keys.Any(id => !events.ContainsKey(Guid.Parse(id))) && clock.Elapsed.TotalSeconds < 120)
            await Task.Delay(250);
        foreach (string id in run.Accepted.Keys)
        {
            var n = events.GetValueOrDefault(Guid.Parse(id));
            Assert.True(n.Succeeded >= 1 && n.Failed == 0,
                $"job {id}: {n.Succeeded} succeeded, {n.Failed} failed events");
        }
        int duplicates = run.Accepted.Keys.Sum(id => events[Guid.Parse(id)].Succeeded - 1);
        var redelivered = FaultProbes.CountJobLines(host.Output, "(delivery redelivered)");
        var interrupted = FaultProbes.CountJobLines(host.Output, "interrupted");
        var sorted = run.RefusalLatencies.Order().ToList();
        output.WriteLine($"accepted {run.Accepted.Count}; refusals {sorted.Count} (median "
                         + $"{sorted[sorted.Count / 2].TotalMilliseconds:0} ms, slowest "
                         + $"{sorted[^1].TotalMilliseconds:0} ms, {sorted.Count(t => t.TotalSeconds > 1)} over 1 s); "
                         + "unfinished at stop "
                         + $"{run.UnfinishedAtStop}; serving {run.ReadyAgainAfter.TotalSeconds:0.0} s and first "
                         + $"accept {run.FirstAcceptAfter.TotalSeconds:0.0} s after "
                         + $"start_app; all done {allDone.TotalSeconds:0.0} s after the submissions; redelivered "
                         + $"runs {redelivered.Count}; interrupted {interrupted.Count}; duplicate completion events "
                         + $"{duplicates}; jobs run that were refused to the caller {phantoms}");

        // The host reconnected by itself: readiness is serving and a new job runs.
        Assert.Equal(ServingStatus.Serving, await FaultProbes.ReadinessAsync(host));
        string after = (await client.SubmitEstimateJobAsync(FaultProbes.SmallEstimate(Jobs))).JobId;
        Assert.Equal(JobState.Succeeded, (await Platform.Testing.JobPolling.WaitFinished(client, after)).State);
    }
}
