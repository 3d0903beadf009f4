using System.Diagnostics;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Jobs.V1;
using CommonJobState = Platform.Contracts.Common.V1.JobState;

namespace Platform.IntegrationTests;

public sealed partial class CapacityFleetTests
{
    /// <summary>
    /// The process running a plan job (its coordinator) is killed with SIGKILL while the fleet runs its probes: the
    /// broker redelivers the job to another inference process, which runs the plan again (the probes' results
    /// already in and the ones still coming are counted once), and the job succeeds with the table PlanCapacity
    /// answers in one process.
    /// </summary>
    [Fact]
    public async Task A_plan_job_survives_its_coordinator_being_killed_mid_plan()
    {
        await using var db = await SharedDatabase.CreateAsync();
        var settings = Settings(db, $"r{Guid.NewGuid():N}"[..9]);
        var hosts = new List<HostProcess>();
        try
        {
            for (int i = 0; i < 3; i++) hosts.Add(await HostProcess.StartAsync("inference,emulator", settings));
            using var submit = GrpcChannel.ForAddress(hosts[0].GrpcUrl);
            string id = (await new InferenceSchedulerService.InferenceSchedulerServiceClient(submit)
                .SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = Parse() })).JobId;

            // The coordinator, once a probe of the plan has started and before all are done.
            HostProcess? coordinator = null;
            var clock = Stopwatch.StartNew();
            while (coordinator is null)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "no process started the plan's probes");
                coordinator = hosts.FirstOrDefault(h => h.Output.Contains($"Capacity plan job {id} started"));
                if (coordinator is not null
                    && !hosts.Any(h => Probes(h.Output, id, "started").Count > 0)) coordinator = null;
                await Task.Delay(10);
            }
            int doneBefore = hosts.Sum(h => Probes(h.Output, id, "done").Count);
            Assert.True(doneBefore < Layouts, "the plan finished before its coordinator could be killed");
            await coordinator.KillAsync();

            var survivors = hosts.Where(h => h != coordinator).ToList();
            using var channel = GrpcChannel.ForAddress(survivors[0].GrpcUrl);
            var job = await WaitFinishedAsync(new JobService.JobServiceClient(channel), id);
            Assert.True(job.State == CommonJobState.Succeeded, $"{job.State}: {job.Message} {job.Error}");
            Assert.Contains(survivors, h => h.Output.Contains($"Capacity plan job {id} started"));
            var inProcess = await new InferenceSchedulerService.InferenceSchedulerServiceClient(channel)
                .PlanCapacityAsync(Parse());
            Assert.Equal(Table(inProcess), Table(job.CapacityPlan));
            output.WriteLine($"killed the coordinator after {doneBefore} of {Layouts} probes; the plan finished " +
                             $"{clock.Elapsed.TotalSeconds:0.0} s after submit with the same table");
        }
        finally
        {
            foreach (var h in hosts) await h.DisposeAsync();
        }
    }
}
