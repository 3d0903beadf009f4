using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Platform.Host.Tests;

/// <summary>
/// OpenAI streams over HTTP against a live deployment: many at once each get their tokens, a stream the client drops
/// gives its KV blocks back, and ignore_eos decides whether a request may end before max_tokens.
/// </summary>
public sealed class LiveStreamingTests(LiveDeploymentFactory factory) : IClassFixture<LiveDeploymentFactory>
{
    private const string Model = LiveDeploymentFactory.Model;

    [Fact]
    public async Task Two_hundred_concurrent_streams_all_finish_with_the_requested_token_counts()
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        http.Timeout = TimeSpan.FromMinutes(3);
        var streams = Enumerable.Range(0, 200).Select(async i =>
        {
            int max = 8 + i % 25;
            string body = $$$"""
                {"model":"{{{Model}}}","prompt":"Stream number {{{i}}} of the concurrency test","max_tokens":{{{max}}},
                 "ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}
                """;
            var (text, usage, finish) = await ReadStream(http, body);
            return (max, text, usage, finish);
        }).ToList();
        foreach (var (max, text, usage, finish) in await Task.WhenAll(streams))
        {
            Assert.Equal(max, usage);
            Assert.Equal("length", finish);
            Assert.False(string.IsNullOrEmpty(text));
        }
    }

    [Fact]
    public async Task A_cancelled_stream_frees_its_kv_blocks()
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        Assert.Equal(0, await KvUsage(http));
        // A long prompt that holds many blocks, and far more tokens than the test waits for.
        string prompt = string.Join(' ', Enumerable.Range(0, 6000).Select(i => $"w{i}"));
        using var cts = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent($$"""
                {"model":"{{Model}}","prompt":"{{prompt}}","max_tokens":16000,"ignore_eos":true,"stream":true}
                """, Encoding.UTF8, "application/json"),
        };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        int chunks = 0;
        while (chunks < 5 && await reader.ReadLineAsync(cts.Token) is { } line)
            if (line.StartsWith("data: {", StringComparison.Ordinal)) chunks++;
        double held = await KvUsage(http);
        Assert.True(held > 0, $"a running stream holds KV blocks (usage {held})");

        cts.Cancel();
        response.Dispose();
        double after = held;
        for (int i = 0; i < 100 && after > 0; i++)
        {
            await Task.Delay(50);
            after = await KvUsage(http);
        }
        Assert.Equal(0, after);
    }

    [Fact]
    public async Task Without_ignore_eos_requests_may_stop_early_at_a_seeded_point_and_with_it_run_to_max_tokens()
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        var counts = new List<(int Tokens, string Finish)>();
        for (int seed = 1; seed <= 12; seed++)
            counts.Add(await Complete(http, seed, ignoreEos: false));
        Assert.All(counts, c => Assert.InRange(c.Tokens, 1, 64));
        Assert.All(counts, c => Assert.Equal(c.Tokens < 64 ? "stop" : "length", c.Finish));
        Assert.Contains(counts, c => c.Finish == "stop");
        // Seeded: the same request stops at the same token.
        Assert.Equal(counts[3], await Complete(http, 4, ignoreEos: false));
        Assert.Equal((64, "length"), await Complete(http, 4, ignoreEos: true));
    }

    private static async Task<(int Tokens, string Finish)> Complete(HttpClient http, int seed, bool ignoreEos)
    {
        string body = $$$"""
            {"model":"{{{Model}}}","prompt":"Why is the sky blue?","max_tokens":64,"seed":{{{seed}}},
             "ignore_eos":{{{(ignoreEos ? "true" : "false")}}}}
            """;
        using var r = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8,
            "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return (doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            doc.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString()!);
    }

    /// <summary>The stream's text, its usage's completion tokens and its finish reason.</summary>
    private static async Task<(string Text, int Usage, string? Finish)> ReadStream(HttpClient http, string body)
    {
        using var r = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8,
            "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        string sse = await r.Content.ReadAsStringAsync();
        Assert.EndsWith("data: [DONE]\n\n", sse);
        var text = new StringBuilder();
        int usage = -1;
        string? finish = null;
        foreach (var line in sse.Split('\n'))
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
            using var doc = JsonDocument.Parse(line[6..]);
            var root = doc.RootElement;
            if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
                usage = u.GetProperty("completion_tokens").GetInt32();
            foreach (var c in root.GetProperty("choices").EnumerateArray())
            {
                text.Append(c.GetProperty("text").GetString());
                if (c.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
                    finish = c.GetProperty("finish_reason").GetString();
            }
        }
        return (text.ToString(), usage, finish);
    }

    /// <summary><c>vllm:kv_cache_usage_perc</c> of the deployment on /metrics.</summary>
    private static async Task<double> KvUsage(HttpClient http)
    {
        string prefix = $"vllm:kv_cache_usage_perc{{model_name=\"{Model}\"}} ";
        string line = (await http.GetStringAsync("/metrics")).Split('\n').Single(l => l.StartsWith(prefix,
            StringComparison.Ordinal));
        return double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }
}
