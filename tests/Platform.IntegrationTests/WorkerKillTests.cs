using System.Diagnostics;
using Grpc.Net.Client;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Xunit.Abstractions;

namespace Platform.IntegrationTests;

/// <summary>
/// Two training workers on one broker and one database; the one running a job is killed with SIGKILL mid-job.
/// RabbitMQ hands the unacknowledged job to the other, which runs it although the database says "running". A worker
/// stopped gracefully (SIGTERM) instead fails its running jobs saying so: none is left "running".
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkerKillTests(BrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task A_job_whose_worker_is_killed_mid_run_is_redelivered_and_completed_by_the_other_worker()
    {
        await using var database = await SharedDatabase.CreateAsync();
        var settings = new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = $"k{Guid.NewGuid():N}"[..9],
            ["Platform__Database__Provider"] = database.Provider, ["ConnectionStrings__Platform"] = database.Connection,
        };
        // One after the other: the first applies the migrations.
        await using var first = await HostProcess.StartAsync("training,emulator", settings);
        await using var second = await HostProcess.StartAsync("training,emulator", settings);
        using var firstChannel = GrpcChannel.ForAddress(first.GrpcUrl);
        using var secondChannel = GrpcChannel.ForAddress(second.GrpcUrl);
        var client = new TrainingCostService.TrainingCostServiceClient(firstChannel);

        string id = (await client.SubmitPlanJobAsync(new SubmitPlanJobRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "deepseek-v3" }, TrainingTokens = 15_000_000_000_000,
                SequenceLength = 4096, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 16384 },
            },
            TopK = 5,
        })).JobId;
        var clock = Stopwatch.StartNew();
        var (worker, survivor, survivorChannel) = await WaitStartedAsync(id, (first, firstChannel),
            (second, secondChannel));
        var startedAfter = clock.Elapsed;
        await worker.KillAsync();
        Assert.DoesNotContain($"Training job {id} (plan) succeeded", worker.Output); // killed mid-job

        var job = await Platform.Testing.JobPolling.WaitFinished(
            new TrainingCostService.TrainingCostServiceClient(survivorChannel), id);
        Assert.True(job.State == JobState.Succeeded, $"{job.State}: {job.Message} {job.ErrorReason}");
        Assert.NotEmpty(job.Plan.Plans);
        // The survivor ran it from the start again (a redelivery), rather than skipping a job stored as running.
        Assert.Equal(1, FaultProbes.CountJobLines(survivor.Output, "(plan) started").GetValueOrDefault(id));
        Assert.Equal(1, FaultProbes.CountJobLines(survivor.Output, "(plan) succeeded").GetValueOrDefault(id));
        output.WriteLine($"{database.Provider}: started {startedAfter.TotalSeconds:0.0} s after submit on "
                         + $"{(worker == first ? "the submitting" : "the other")} worker, killed; the survivor "
                         + $"finished it {clock.Elapsed.TotalSeconds:0.0} s after submit");
    }

    [Fact]
    public async Task Jobs_running_when_their_worker_stops_gracefully_end_failed_saying_so_and_none_vanishes()
    {
        await using var database = await SharedDatabase.CreateAsync();
        var settings = new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = $"g{Guid.NewGuid():N}"[..9],
            ["Platform__Database__Provider"] = database.Provider, ["ConnectionStrings__Platform"] = database.Connection,
        };
        var ids = new List<string>();
        await using (var worker = await HostProcess.StartAsync("training,emulator", settings))
        {
            using var channel = GrpcChannel.ForAddress(worker.GrpcUrl);
            var client = new TrainingCostService.TrainingCostServiceClient(channel);
            // Rounds of eight plan searches (of different lengths, on a large cluster) submitted at once; each takes
            // well under a second on a quiet machine. Once a round's submissions have all been accepted, the worker
            // is stopped as soon as one of them is running; a round that finished first is followed by another.
            var clock = Stopwatch.StartNew();
            for (int round = 0; ; round++)
            {
                var batch = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
                    (await client.SubmitPlanJobAsync(new SubmitPlanJobRequest
                    {
                        Run = new TrainingRunSpec
                        {
                            Model = new ModelSpec { Preset = "deepseek-v3" },
                            TrainingTokens = 15_000_000_000_000 + 8 * round + i,
                            SequenceLength = 4096 + 512 * i,
                            Cluster = new Cluster { Accelerator = "h100-sxm", Count = 65536 },
                        },
                        TopK = 5,
                    })).JobId));
                ids.AddRange(batch);
                // Stop at a moment when one of them has started and not finished (a queued job is redelivered and
                // succeeds on the next instance, which would prove nothing).
                bool running = false;
                for (var poll = Stopwatch.StartNew(); poll.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(10))
                {
                    string log = worker.Output;
                    if (running = batch.Any(id => log.Contains($"Training job {id} (plan) started")
                                                  && !log.Contains($"Training job {id} (plan) succeeded")))
                        break;
                    if (batch.All(id => log.Contains($"Training job {id} (plan) succeeded"))) break;
                }
                if (running) break;
                Assert.True(round < 10 && clock.Elapsed < TimeSpan.FromSeconds(60), worker.Output);
            }
            await worker.StopAsync(TimeSpan.FromSeconds(30)); // SIGTERM
        }

        // Another instance on the same database answers for every job: those running at the stop ended failed
        // saying so, those still queued are redelivered and run here; none is left queued or running for good.
        await using var again = await HostProcess.StartAsync("training,emulator", settings);
        using var againChannel = GrpcChannel.ForAddress(again.GrpcUrl);
        var reader = new TrainingCostService.TrainingCostServiceClient(againChannel);
        int failed = 0;
        var deadline = Stopwatch.StartNew();
        foreach (string id in ids)
        {
            var job = (await reader.GetJobAsync(new GetJobRequest { JobId = id })).Job;
            while (job.State is not (JobState.Succeeded or JobState.Failed)
                   && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
                job = (await reader.GetJobAsync(new GetJobRequest { JobId = id })).Job;
            }
            Assert.True(job.State is JobState.Succeeded or JobState.Failed, $"job {id} left {job.State}");
            if (job.State != JobState.Failed) continue;
            Assert.Contains("stopped before the job finished; submit it again", job.Message);
            failed++;
        }
        Assert.True(failed > 0, "no job was running at the stop: the test proved nothing");
        output.WriteLine($"{database.Provider}: graceful stop with {ids.Count} plan jobs: {failed} failed saying so, "
                         + $"{ids.Count - failed} had succeeded");
    }

    /// <summary>Waits until one of the workers logs that it started the job: (that one, the other, its channel).
    /// </summary>
    private static async Task<(HostProcess, HostProcess, GrpcChannel)> WaitStartedAsync(string id,
        (HostProcess Host, GrpcChannel Channel) a, (HostProcess Host, GrpcChannel Channel) b)
    {
        string started = $"Training job {id} (plan) started";
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (a.Host.Output.Contains(started)) return (a.Host, b.Host, b.Channel);
            if (b.Host.Output.Contains(started)) return (b.Host, a.Host, a.Channel);
            await Task.Delay(20);
        }
        throw new TimeoutException($"no worker started job {id}:\n{a.Host.Output}\n{b.Host.Output}");
    }
}
