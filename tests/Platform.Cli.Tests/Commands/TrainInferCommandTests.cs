using System.Text.Json;
using Platform.Cli.Infrastructure;

namespace Platform.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class TrainInferCommandTests(CliHost host) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("platform-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Small =
        ["--model", "llama-3.1-8b", "--tokens", "15T", "--seq", "8192", "--count", "1024", "--precision", "bf16"];

    [Fact]
    public async Task Train_estimate_json_is_the_estimate_response_and_the_table_its_figures()
    {
        var json = await host.Run(["train", "estimate", .. Small, "--device", "h100-sxm", "--price", "2", "--json"]);
        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Out);
        double hours = doc.RootElement.GetProperty("acceleratorHours").GetDouble();
        Assert.True(hours > 0);
        Assert.Equal(hours * 2, doc.RootElement.GetProperty("costUsd").GetDouble(), 1e-6 * hours);
        Assert.Equal("h100-sxm", doc.RootElement.GetProperty("accelerator").GetString());

        var table = await host.Run(["train", "estimate", .. Small, "--device", "h100-sxm", "--price", "2"]);
        Assert.Equal(ExitCodes.Ok, table.ExitCode);
        Assert.Contains("accelerator-hours", table.Out);
        Assert.Contains(hours.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), table.Out);
    }

    [Fact]
    public async Task Train_compare_charts_every_chip_that_fits()
    {
        string chart = Path.Combine(_dir, "chips.svg");
        var r = await host.Run(["train", "compare", .. Small, "--devices", "h800,b200,a100-80gb", "--json",
            "--chart", chart]);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(3, doc.RootElement.GetProperty("results").GetArrayLength());
        string svg = File.ReadAllText(chart);
        Assert.True(new FileInfo(chart).Length > 1024);
        foreach (string chip in new[] { "h800", "b200", "a100-80gb" }) Assert.Contains(chip, svg);
    }

    [Fact]
    public async Task An_estimate_submitted_as_a_job_is_watched_to_its_result()
    {
        var r = await host.Run(["train", "estimate", .. Small, "--device", "h800", "--job", "--json"]);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal("JOB_STATE_SUCCEEDED", doc.RootElement.GetProperty("state").GetString());
        Assert.True(doc.RootElement.GetProperty("trainingEstimate").GetProperty("acceleratorHours").GetDouble() > 0);
        string id = doc.RootElement.GetProperty("jobId").GetString()!;

        var watch = await host.Run("jobs", "watch", id, "--json");
        Assert.Equal(ExitCodes.Ok, watch.ExitCode);
        var last = watch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        using var snap = JsonDocument.Parse(last);
        Assert.Equal("JOB_STATE_SUCCEEDED", snap.RootElement.GetProperty("job").GetProperty("state").GetString());

        var list = await host.Run("jobs", "list", "--kind", "estimate", "--json");
        Assert.Equal(ExitCodes.Ok, list.ExitCode);
        Assert.Contains(id, list.Out);
        var cancel = await host.Run("jobs", "cancel", id, "--json");
        Assert.Equal(ExitCodes.Ok, cancel.ExitCode);
        Assert.Contains("JOB_STATE_SUCCEEDED", cancel.Out);
    }

    [Fact]
    public async Task A_capacity_plan_job_reports_progress_on_stderr_and_charts_its_options()
    {
        string chart = Path.Combine(_dir, "capacity.png");
        var r = await host.Run("infer", "plan", "--model", "llama-3.1-8b", "--devices", "h100-sxm,h20", "--tp", "1",
            "--rate", "2", "--requests", "40", "--ttft-slo", "2000", "--tpot-slo", "100", "--job", "--chart", chart);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        Assert.Matches(@"job [0-9a-f-]+: 100 % succeeded", r.Error);
        Assert.Contains("h100-sxm TP1", r.Out);
        Assert.True(new FileInfo(chart).Length > 1024);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(chart)[..4]);
    }

    [Fact]
    public async Task Watching_an_unknown_job_exits_3()
    {
        var r = await host.Run("jobs", "watch", "00000000-0000-0000-0000-000000000000");
        Assert.Equal(ExitCodes.NotFound, r.ExitCode);
    }

    [Fact]
    public async Task A_load_sweep_charts_latency_goodput_and_latency_cdfs_per_rate()
    {
        string lat = Path.Combine(_dir, "latency.svg"), good = Path.Combine(_dir, "goodput.svg");
        string cdf = Path.Combine(_dir, "cdf.png"), cdfSvg = Path.Combine(_dir, "cdf.svg");
        var r = await host.Run("infer", "simulate", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--tp", "1",
            "--rates", "1,4", "--requests", "60", "--ttft-slo", "2000", "--tpot-slo", "100", "--chart", lat,
            "--goodput-chart", good, "--cdf-chart", cdf, "--json");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (string l in lines)
            Assert.Equal("60", JsonDocument.Parse(l).RootElement.GetProperty("completedRequests").GetString());
        Assert.Contains("TTFT p99", File.ReadAllText(lat));
        Assert.Contains("goodput", File.ReadAllText(good));
        Assert.True(new FileInfo(cdf).Length > 1024);
        Assert.Contains($"chart: {cdf}", r.Error);

        // One run (no sweep): a TTFT and a TPOT curve at its rate, the SLOs as lines; the table as without a chart.
        var one = await host.Run("infer", "simulate", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--tp", "1",
            "--rate", "4", "--requests", "60", "--ttft-slo", "2000", "--cdf-chart", cdfSvg);
        Assert.Equal(ExitCodes.Ok, one.ExitCode);
        Assert.Contains("TTFT p50 ms", one.Out);
        string svg = File.ReadAllText(cdfSvg);
        foreach (string s in new[] { "TTFT 4 req/s", "TPOT 4 req/s", "TTFT SLO 2000 ms", "TTFT and TPOT CDFs" })
            Assert.Contains(s, svg);
    }

    [Fact]
    public async Task Kernel_run_reports_the_fp8_error_against_fp32()
    {
        var r = await host.Run("kernel", "run", "--shape", "128x128x256", "--dtype", "fp8-e4m3", "--json");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        double diff = doc.RootElement.GetProperty("accuracy").GetProperty("diff").GetDouble();
        Assert.InRange(diff, 1e-6, 1e-3);
        Assert.Equal(0, doc.RootElement.GetProperty("outputs").GetArrayLength());
    }
}
