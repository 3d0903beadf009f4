using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Web.Tests;

/// <summary>GET /api/v1/jobs/{id}/events, the job stream the page follows: WatchJob's snapshots as server-sent events
/// until the job finishes, and the REST routes' errors before the stream.</summary>
[Collection(WebHostCollection.Name)]
public sealed class JobEventsTests(WebHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task A_jobs_events_run_from_its_current_snapshot_to_its_result_and_the_stream_ends()
    {
        var submitted = await Http.PostAsJsonAsync("/api/v1/training:submitEstimateJob", new
        {
            run = new
            {
                model = new { preset = "llama-3.1-8b" }, trainingTokens = "1000000000000", sequenceLength = 4096,
                cluster = new { accelerator = "h800", count = 64 },
                parallelism = new { tensorParallel = 8, pipelineParallel = 1, dataParallel = 8 },
            },
        });
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        string jobId;
        using (var body = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()))
            jobId = body.RootElement.GetProperty("jobId").GetString()!;

        using var response = await Http.GetAsync($"/api/v1/jobs/{jobId}/events",
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        // ReadAsStringAsync returns only when the server ends the stream: it does once the job has finished.
        string text = await response.Content.ReadAsStringAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        var jobs = events.Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("job"))
            .ToList();
        Assert.All(jobs, j => Assert.Equal(jobId, j.GetProperty("jobId").GetString()));
        var progress = jobs.Select(j => j.GetProperty("progress").GetDouble()).ToList();
        Assert.Equal(progress.Order(), progress);
        Assert.Equal("JOB_STATE_SUCCEEDED", jobs[^1].GetProperty("state").GetString());
        Assert.True(jobs[^1].GetProperty("trainingEstimate").GetProperty("costUsd").GetDouble() > 0);
        Assert.All(jobs[..^1], j => Assert.NotEqual("JOB_STATE_SUCCEEDED", j.GetProperty("state").GetString()));

        // A finished job's stream is its final snapshot alone.
        string again = await Http.GetStringAsync($"/api/v1/jobs/{jobId}/events");
        Assert.Single(again.Split("\n\n", StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("JOB_STATE_SUCCEEDED", again);
    }

    [Theory]
    [InlineData("0b4f8c9e-0000-4000-8000-000000000000", HttpStatusCode.NotFound, (int)StatusCode.NotFound)]
    [InlineData("not-a-job-id", HttpStatusCode.BadRequest, (int)StatusCode.InvalidArgument)]
    public async Task An_unknown_or_malformed_job_is_answered_as_the_rest_routes_answer_it(string id,
        HttpStatusCode http, int code)
    {
        var response = await Http.GetAsync($"/api/v1/jobs/{id}/events");
        Assert.Equal(http, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, status.RootElement.GetProperty("code").GetInt32());
        Assert.Contains("job_id", status.RootElement.GetProperty("message").GetString());
    }
}
