using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Web.Tests;

/// <summary>The REST routes (gRPC JSON transcoding) as a plain HTTP client sees them: JSON in and out, errors as
/// HTTP statuses with a google.rpc.Status body naming the field, and the OpenAPI document that lists them.</summary>
[Collection(WebHostCollection.Name)]
public sealed class RestApiTests(WebHostFixture fixture)
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task Devices_are_listed_and_read_by_id()
    {
        using var list = await Json(await Http.GetAsync("/api/v1/devices?pageSize=100"));
        var ids = list.RootElement.GetProperty("devices").EnumerateArray()
            .Select(d => d.GetProperty("id").GetString()).ToList();
        Assert.Contains("h100-sxm", ids);

        using var one = await Json(await Http.GetAsync("/api/v1/devices/h800"));
        var device = one.RootElement.GetProperty("device");
        Assert.Equal("h800", device.GetProperty("id").GetString());
        Assert.Equal(80, device.GetProperty("hbmGb").GetDouble());
    }

    [Fact]
    public async Task An_unknown_device_is_404_with_the_closest_ids()
    {
        var response = await Http.GetAsync("/api/v1/devices/H100");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)StatusCode.NotFound, status.RootElement.GetProperty("code").GetInt32());
        Assert.Contains("h100-sxm", status.RootElement.GetProperty("message").GetString());
        var detail = status.RootElement.GetProperty("details")[0];
        Assert.Equal("type.googleapis.com/google.rpc.ResourceInfo", detail.GetProperty("@type").GetString());
        Assert.Equal("device", detail.GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task Invalid_input_is_400_naming_the_field_as_proto_and_json_spell_it()
    {
        var response = await Http.PostAsJsonAsync("/api/v1/inference:planCapacity", new
        {
            model = new { preset = "llama-3.1-8b" },
            workload = new { trace = "azure-conv-2023" },
            targetRequestsPerSecond = -1,
            candidates = new { accelerators = new[] { "h100-sxm" } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)StatusCode.InvalidArgument, status.RootElement.GetProperty("code").GetInt32());
        Assert.Contains("target_requests_per_second (targetRequestsPerSecond)",
            status.RootElement.GetProperty("message").GetString());
        var violation = status.RootElement.GetProperty("details")[0].GetProperty("fieldViolations")[0];
        Assert.Equal("target_requests_per_second", violation.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_training_estimate_is_a_post_with_the_request_as_json()
    {
        var response = await Http.PostAsJsonAsync("/api/v1/training:estimate", new
        {
            run = new
            {
                model = new { preset = "llama-3.1-8b" }, trainingTokens = "1000000000000", sequenceLength = 4096,
                cluster = new { accelerator = "h800", count = 64 },
                parallelism = new { tensorParallel = 8, pipelineParallel = 1, dataParallel = 8 },
            },
        });
        using var estimate = await Json(response);
        Assert.True(estimate.RootElement.GetProperty("wallClockDays").GetDouble() > 0);
        Assert.Equal("h800", estimate.RootElement.GetProperty("accelerator").GetString());
    }

    [Fact]
    public async Task A_training_estimate_takes_the_runs_fields_at_the_top_level_as_documented()
    {
        const string run =
            """
            "model":{"preset":"llama-3.1-8b"},"trainingTokens":"1000000000000","sequenceLength":4096,
            "cluster":{"accelerator":"h800","count":64},
            "parallelism":{"tensorParallel":8,"pipelineParallel":1,"dataParallel":8}
            """;
        using var flat = await Json(await Post("/api/v1/training:estimate", "{" + run + "}"));
        using var wrapped = await Json(await Post("/api/v1/training:estimate", "{\"run\":{" + run + "}}"));
        Assert.True(flat.RootElement.GetProperty("wallClockDays").GetDouble() > 0);
        Assert.Equal(wrapped.RootElement.GetRawText(), flat.RootElement.GetRawText());

        var nan = await Post("/api/v1/training:estimate", "{" + run + ",\"pricePerAcceleratorHourUsd\":\"NaN\"}");
        Assert.Equal(HttpStatusCode.BadRequest, nan.StatusCode);
        using var status = JsonDocument.Parse(await nan.Content.ReadAsStringAsync());
        Assert.Contains("price_per_accelerator_hour_usd (pricePerAcceleratorHourUsd)",
            status.RootElement.GetProperty("message").GetString());
    }

    private Task<HttpResponseMessage> Post(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task A_job_submitted_over_rest_is_read_and_listed_over_rest()
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
        string jobId;
        using (var body = await Json(submitted)) jobId = body.RootElement.GetProperty("jobId").GetString()!;
        string state = "";
        for (int i = 0; i < 240 && state is not ("JOB_STATE_SUCCEEDED" or "JOB_STATE_FAILED"); i++)
        {
            using var job = await Json(await Http.GetAsync($"/api/v1/jobs/{jobId}"));
            state = job.RootElement.GetProperty("job").GetProperty("state").GetString()!;
            if (state == "JOB_STATE_SUCCEEDED")
                Assert.True(job.RootElement.GetProperty("job").GetProperty("trainingEstimate")
                    .GetProperty("costUsd").GetDouble() > 0);
            else await Task.Delay(250);
        }
        Assert.Equal("JOB_STATE_SUCCEEDED", state);
        using var list = await Json(await Http.GetAsync("/api/v1/jobs?kind=estimate&pageSize=50"));
        Assert.Contains(list.RootElement.GetProperty("jobs").EnumerateArray(),
            j => j.GetProperty("jobId").GetString() == jobId);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_routes_and_the_reference_page_is_served()
    {
        using var doc = await Json(await Http.GetAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.True(paths.Count >= 10, string.Join(", ", paths));
        Assert.Contains("/api/v1/devices/{id}", paths);
        Assert.Contains("/api/v1/training:estimate", paths);
        Assert.True(doc.RootElement.GetProperty("paths").GetProperty("/api/v1/devices/{id}").TryGetProperty(
            "get", out _));

        var page = await Http.GetAsync("/openapi/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("swagger", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<JsonDocument> Json(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body);
    }
}
