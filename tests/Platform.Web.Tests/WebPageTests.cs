using Microsoft.Playwright;

namespace Platform.Web.Tests;

/// <summary>
/// The web page in a real browser: Playwright drives the system's chromium (PLATFORM_CHROMIUM, default
/// /usr/bin/chromium; `scripts/apt-install.sh chromium` installs it, as make test does) against a running host.
/// </summary>
[Collection(WebHostCollection.Name)]
public sealed class WebPageTests(WebHostFixture fixture) : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        string chromium = Environment.GetEnvironmentVariable("PLATFORM_CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"{chromium} missing: install it with `bash scripts/apt-install.sh "
            + "chromium` (make test does) or set PLATFORM_CHROMIUM");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    private async Task<IPage> OpenAsync()
    {
        var page = await _browser!.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        var errors = new List<string>();
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        await page.GotoAsync(fixture.HttpUrl + "/");
        try
        {
            await Assertions.Expect(page.Locator("#training-status")).ToHaveTextAsync("Ready.",
                new() { Timeout = 30_000 });
        }
        catch (PlaywrightException e)
        {
            lock (errors) throw new InvalidOperationException($"the page did not load: {string.Join("; ", errors)}", e);
        }
        return page;
    }

    [Fact]
    public async Task Picking_a_model_and_chips_draws_the_training_comparison()
    {
        var page = await OpenAsync();
        await page.SelectOptionAsync("#training-model", "llama-3.1-8b");
        foreach (var chip in new[] { "h100-sxm", "h800", "b200" })
            await page.Locator($"#training-chips input[value='{chip}']").SetCheckedAsync(true);
        await page.ClickAsync("#training-run");

        var bars = page.Locator("svg[data-chart='Wall-clock time'] rect");
        await Assertions.Expect(bars).ToHaveCountAsync(3, new() { Timeout = 60_000 });
        var labels = await bars.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.label)");
        var days = await bars.EvaluateAllAsync<double[]>("rs => rs.map(r => Number(r.dataset.value))");
        var byChip = labels.Zip(days).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal(["b200", "h100-sxm", "h800"], byChip.Keys.Order());
        Assert.All(days, d => Assert.True(d > 0));
        Assert.True(byChip["b200"] < byChip["h800"], "a B200 run should take fewer days than an H800 run");

        // A bad value comes back as the server's error, naming the field.
        await page.FillAsync("#training-count", "0");
        await page.ClickAsync("#training-run");
        await Assertions.Expect(page.Locator("#training-status")).ToContainTextAsync("400",
            new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#training-status")).ToContainTextAsync("count");
    }

    [Fact]
    public async Task Simulating_and_planning_capacity_draws_results_and_shows_the_job_progress()
    {
        var page = await OpenAsync();
        await page.SelectOptionAsync("#inference-workload", "synthetic");
        await page.FillAsync("#inference-requests", "100");
        await page.FillAsync("#inference-ttft", "2000");
        await page.FillAsync("#inference-tpot", "100");
        await page.Locator("#inference-chips input:checked")
            .EvaluateAllAsync<int>("bs => { bs.forEach(b => b.click()); return bs.length; }");
        foreach (var chip in new[] { "h100-sxm", "h800" })
            await page.Locator($"#inference-chips input[value='{chip}']").SetCheckedAsync(true);

        await page.ClickAsync("#simulate-run");
        var ttft = page.Locator("svg[data-chart='TTFT p99'] rect");
        await Assertions.Expect(ttft).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        Assert.All(await ttft.EvaluateAllAsync<double[]>("rs => rs.map(r => Number(r.dataset.value))"),
            v => Assert.True(v > 0));
        await Assertions.Expect(page.Locator("svg[data-chart='KV cache utilization over the run'] path"))
            .ToHaveCountAsync(2);

        var urls = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Request += (_, r) => urls.Enqueue(new Uri(r.Url).AbsolutePath);
        await page.ClickAsync("#plan-run");
        // The job's row under Jobs (the status line says "queued as job …" only until a quick plan is done).
        var planRow = page.Locator("#jobs-table tbody tr").Filter(new() { HasText = "capacity-plan" });
        await Assertions.Expect(planRow).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        string jobId = await planRow.GetAttributeAsync("data-job") ?? "";
        Assert.Matches("^[0-9a-f-]{36}$", jobId);
        var row = page.Locator($"#jobs-table tbody tr[data-job='{jobId}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "JOB_STATE_SUCCEEDED",
            new() { Timeout = 60_000 });
        await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("capacity-plan");
        Assert.Equal(1, await row.Locator("progress").EvaluateAsync<double>("p => p.value"));
        // Followed over the job's event stream (WatchJob relayed as server-sent events), not by polling GetJob.
        Assert.Contains($"/api/v1/jobs/{jobId}/events", urls);
        Assert.DoesNotContain($"/api/v1/jobs/{jobId}", urls);
        var plan = page.Locator("svg[data-chart='Cheapest deployment per chip'] rect");
        await Assertions.Expect(plan).ToHaveCountAsync(2, new() { Timeout = 30_000 });
    }
}
