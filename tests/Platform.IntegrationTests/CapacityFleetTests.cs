using System.Diagnostics;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Jobs.V1;
using Xunit.Abstractions;
using CommonJobState = Platform.Contracts.Common.V1.JobState;

namespace Platform.IntegrationTests;

/// <summary>
/// A capacity plan job on RabbitMQ is spread over the inference processes: each layout's search is a probe any of
/// them runs. One process or three give the same table (the one PlanCapacity answers in one process); a worker killed
/// with SIGKILL mid-probe has its probes redelivered and the answer is unchanged; a cancelled plan's outstanding
/// probes are skipped.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed partial class CapacityFleetTests(BrokerFixture broker, ITestOutputHelper output)
{
    // Six layouts (three accelerators × TP 1, 2), each a search of about eight simulations of 800 requests.
    private const string Plan =
        """
        {"model":{"preset":"llama-3.1-8b"},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":40,
        "requests":800,"seed":3,"promptTokens":{"fixed":1024},"outputTokens":{"fixed":256}}},
        "targetRequestsPerSecond":40,"slo":{"ttftMs":1000,"tpotMs":50},"sloAttainment":0.9,
        "candidates":{"accelerators":["h100-sxm","a100-80gb","h20"],"tensorParallel":[1,2]},"maxAccelerators":16}
        """;

    private const int Layouts = 6;

    private static PlanCapacityRequest Parse() => JsonParser.Default.Parse<PlanCapacityRequest>(Plan);

    private Dictionary<string, string> Settings(SharedDatabase db, string prefix) => new()
    {
        ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = prefix,
        ["Platform__Database__Provider"] = db.Provider, ["ConnectionStrings__Platform"] = db.Connection,
    };

    [Fact]
    public async Task One_and_three_inference_processes_give_the_table_PlanCapacity_answers_in_one_process()
    {
        await using var db = await SharedDatabase.CreateAsync();
        var settings = Settings(db, $"f{Guid.NewGuid():N}"[..9]);
        await using var first = await HostProcess.StartAsync("inference,emulator", settings);
        using var channel = GrpcChannel.ForAddress(first.GrpcUrl);
        var clock = Stopwatch.StartNew();
        var (alone, _) = await RunAsync(channel);
        var aloneSeconds = clock.Elapsed.TotalSeconds;

        await using var second = await HostProcess.StartAsync("inference,emulator", settings);
        await using var third = await HostProcess.StartAsync("inference,emulator", settings);
        clock.Restart();
        var (fleet, id) = await RunAsync(channel);
        var fleetSeconds = clock.Elapsed.TotalSeconds;

        Assert.Equal(Table(alone), Table(fleet));
        var inProcess = await new InferenceSchedulerService.InferenceSchedulerServiceClient(channel)
            .PlanCapacityAsync(Parse());
        Assert.Equal(Table(inProcess), Table(fleet));
        Assert.NotEmpty(fleet.Options);
        var ran = new[] { first, second, third }.Select(p => Probes(p.Output, id, "done").Count).ToList();
        Assert.Equal(Layouts, ran.Sum());
        Assert.True(ran.Count(n => n > 0) >= 2, $"probes per process {string.Join(",", ran)}: not spread");
        output.WriteLine($"{Layouts} layouts, {fleet.Simulations} simulations: one process {aloneSeconds:0.0} s, " +
                         $"three {fleetSeconds:0.0} s (probes per process {string.Join(",", ran)})");
    }

    [Fact]
    public async Task A_worker_killed_mid_probe_has_its_probes_redelivered_and_the_answer_is_unchanged()
    {
        await using var db = await SharedDatabase.CreateAsync();
        var settings = Settings(db, $"k{Guid.NewGuid():N}"[..9]);
        var hosts = new List<HostProcess> { await HostProcess.StartAsync("inference,emulator", settings) };
        try
        {
            hosts.Add(await HostProcess.StartAsync("inference,emulator", settings));
            hosts.Add(await HostProcess.StartAsync("inference,emulator", settings));
            using var channel = GrpcChannel.ForAddress(hosts[0].GrpcUrl);
            var jobs = new JobService.JobServiceClient(channel);
            string id = (await new InferenceSchedulerService.InferenceSchedulerServiceClient(channel)
                .SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = Parse() })).JobId;

            // A worker (not the process running the plan) that has started a probe it has not finished.
            HostProcess? victim = null;
            var clock = Stopwatch.StartNew();
            while (victim is null)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "no worker started a probe");
                victim = hosts.FirstOrDefault(h => !h.Output.Contains($"Capacity plan job {id} started")
                    && Probes(h.Output, id, "started").Except(Probes(h.Output, id, "done")).Any());
                await Task.Delay(10);
            }
            await victim.KillAsync();
            var unfinished = Probes(victim.Output, id, "started").Except(Probes(victim.Output, id, "done")).ToList();
            Assert.NotEmpty(unfinished);

            var job = await WaitFinishedAsync(jobs, id);
            Assert.True(job.State == CommonJobState.Succeeded, $"{job.State}: {job.Message} {job.Error}");
            var survivors = hosts.Where(h => h != victim).ToList();
            foreach (int i in unfinished)
                Assert.Contains(survivors, h => Probes(h.Output, id, "done").Contains(i));
            var inProcess = await new InferenceSchedulerService.InferenceSchedulerServiceClient(channel)
                .PlanCapacityAsync(Parse());
            Assert.Equal(Table(inProcess), Table(job.CapacityPlan));
            output.WriteLine($"killed a worker mid-probe (layouts {string.Join(",", unfinished)}); the plan " +
                             $"finished {clock.Elapsed.TotalSeconds:0.0} s after submit with the same table");
        }
        finally
        {
            foreach (var h in hosts) await h.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_cancelled_plan_skips_its_outstanding_probes()
    {
        await using var db = await SharedDatabase.CreateAsync();
        var settings = Settings(db, $"c{Guid.NewGuid():N}"[..9]);
        settings["Platform__Capacity__ProbeConcurrency"] = "1"; // one probe at a time: the others wait queued
        await using var host = await HostProcess.StartAsync("inference,emulator", settings);
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        var jobs = new JobService.JobServiceClient(channel);
        string id = (await new InferenceSchedulerService.InferenceSchedulerServiceClient(channel)
            .SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = Parse() })).JobId;
        var clock = Stopwatch.StartNew();
        // Once a probe's result is in, the job's message tells the layouts and simulations done so far.
        while (!Regex.IsMatch((await jobs.GetJobAsync(new GetJobRequest { JobId = id })).Job.Message,
                   @"^[1-5]/6 layouts searched, \d+ simulations"))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), host.Output);
            await Task.Delay(10);
        }
        await jobs.CancelJobAsync(new CancelJobRequest { JobId = id });
        var job = await WaitFinishedAsync(jobs, id);
        Assert.Equal(CommonJobState.Cancelled, job.State);

        // Every probe is consumed: the ones still queued are skipped, the one running stops.
        int done = 0, ended = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            done = Probes(host.Output, id, "done").Count;
            ended = Probes(host.Output, id, "skipped").Count + Probes(host.Output, id, "stopped").Count;
            if (done + ended == Layouts) break;
            await Task.Delay(50);
        }
        Assert.True(done + ended == Layouts && ended > 0, $"{done} done, {ended} skipped or stopped:\n{host.Output}");
        output.WriteLine($"cancelled after {done} of {Layouts} probes; {ended} skipped or stopped");
    }

    private static async Task<(PlanCapacityResponse Plan, string Id)> RunAsync(GrpcChannel channel)
    {
        string id = (await new InferenceSchedulerService.InferenceSchedulerServiceClient(channel)
            .SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = Parse() })).JobId;
        var job = await WaitFinishedAsync(new JobService.JobServiceClient(channel), id);
        Assert.True(job.State == CommonJobState.Succeeded, $"{job.State}: {job.Message} {job.Error}");
        return (job.CapacityPlan, id);
    }

    private static async Task<Job> WaitFinishedAsync(JobService.JobServiceClient jobs, string id)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var job = (await jobs.GetJobAsync(new GetJobRequest { JobId = id })).Job;
            if (job.State is CommonJobState.Succeeded or CommonJobState.Failed or CommonJobState.Cancelled)
                return job;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"job {id} still {job.State}: {job.Message}");
            await Task.Delay(100);
        }
    }

    /// <summary>The answer without what differs from run to run (wall time, where the searches ran).</summary>
    private static PlanCapacityResponse Table(PlanCapacityResponse r)
    {
        var t = r.Clone();
        t.WallSeconds = 0;
        t.Notes.Clear();
        return t;
    }

    /// <summary>The layouts of job <paramref name="id"/> whose probe logged <paramref name="what"/> ("started",
    /// "done", "skipped", "stopped") in a process's output.</summary>
    private static HashSet<int> Probes(string log, string id, string what) =>
        ProbeLine().Matches(log).Where(m => m.Groups[2].Value == id && m.Groups[3].Value == what)
            .Select(m => int.Parse(m.Groups[1].Value)).ToHashSet();

    [GeneratedRegex(@"Capacity probe (\d+) of job ([0-9a-f-]{36}) (started|done|skipped|stopped)")]
    private static partial Regex ProbeLine();
}
