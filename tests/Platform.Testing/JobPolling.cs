using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Xunit;

namespace Platform.Testing;

/// <summary>Waiting on training jobs over gRPC.</summary>
public static class JobPolling
{
    /// <summary>Polls <c>GetJob</c> until the job succeeded or failed (at most 60 s), and returns it.</summary>
    public static async Task<Job> WaitFinished(TrainingCostService.TrainingCostServiceClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = (await client.GetJobAsync(new GetJobRequest { JobId = id })).Job;
            if (job.State is JobState.Succeeded or JobState.Failed) return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {id} still {job.State}");
            await Task.Delay(100);
        }
    }
}
