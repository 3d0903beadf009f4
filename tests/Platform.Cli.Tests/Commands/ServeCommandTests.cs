using System.Text.Json;
using Platform.Cli.Infrastructure;

namespace Platform.Cli.Tests.Commands;

/// <summary>platform serve: live deployments created, listed, shown, chatted with and deleted on the host.</summary>
[Collection(CliCollection.Name)]
public sealed class ServeCommandTests(CliHost host)
{
    /// <summary>Llama 3.1 8B on one H100 at a hundred times real time (a token in well under a millisecond).</summary>
    internal static async Task Create(CliHost host, string name)
    {
        var r = await host.Run("serve", "create", name, "--model", "llama-3.1-8b", "--device", "h100-sxm",
            "--time-scale", "0.01", "--json");
        Assert.True(r.ExitCode == ExitCodes.Ok, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var d = doc.RootElement.GetProperty("deployment");
        Assert.Equal(name, d.GetProperty("name").GetString());
        Assert.Equal(0.01, d.GetProperty("timeScale").GetDouble(), 1e-12);
        Assert.Equal("h100-sxm", d.GetProperty("deployment").GetProperty("accelerator").GetString());
    }

    [Fact]
    public async Task A_deployment_is_created_listed_shown_chatted_with_and_deleted()
    {
        const string name = "cli-serve-llama";
        await Create(host, name);

        var list = await host.Run("serve", "list");
        Assert.Equal(ExitCodes.Ok, list.ExitCode);
        Assert.Contains(name, list.Out);
        Assert.Contains("1 x h100-sxm TP1", list.Out);

        var json = await host.Run("serve", "chat", name, "Hello there", "--max-tokens", "12", "--json");
        Assert.True(json.ExitCode == ExitCodes.Ok, json.Error);
        var events = json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var tokens = events.Where(e => e.TryGetProperty("tokens", out _)).Select(e => e.GetProperty("tokens")).ToList();
        Assert.Equal(12, tokens.Sum(t => t.GetProperty("count").GetInt32()));
        var elapsed = tokens.Select(t => t.GetProperty("elapsedMs").GetDouble()).ToList();
        Assert.Equal(elapsed.Order(), elapsed);
        var finished = events[^1].GetProperty("finished");
        Assert.Equal(12, finished.GetProperty("usage").GetProperty("completionTokens").GetInt32());
        Assert.True(finished.GetProperty("usage").GetProperty("promptTokens").GetInt32() > 0);
        double ttft = finished.GetProperty("ttftMs").GetDouble(), e2e = finished.GetProperty("e2eMs").GetDouble();
        Assert.InRange(ttft, 0, e2e);
        Assert.True(finished.GetProperty("tpotMs").GetDouble() > 0);

        // The same prompt reads the same: the text printed as the tokens arrive is the streamed tokens' text.
        var text = await host.Run("serve", "chat", name, "Hello there", "--max-tokens", "12");
        Assert.True(text.ExitCode == ExitCodes.Ok, text.Error);
        var lines = text.Out.Split('\n');
        Assert.Equal(string.Concat(tokens.Select(t => t.GetProperty("text").GetString())), lines[0].TrimEnd('\r'));
        Assert.Matches(@"^TTFT [\d.,]+ ms \([\d.,]+ modelled\) · TPOT .* · E2E .* · queue ", lines[1]);
        Assert.StartsWith("12 tokens generated; prompt ", lines[2]);

        var show = await host.Run("serve", "show", name, "--json");
        Assert.Equal(ExitCodes.Ok, show.ExitCode);
        using (var doc = JsonDocument.Parse(show.Out))
            Assert.Equal("2", doc.RootElement.GetProperty("deployment").GetProperty("stats")
                .GetProperty("completedRequests").GetString());

        var delete = await host.Run("serve", "delete", name);
        Assert.Equal(ExitCodes.Ok, delete.ExitCode);
        var gone = await host.Run("serve", "show", name);
        Assert.Equal(ExitCodes.NotFound, gone.ExitCode);
    }

    [Fact]
    public async Task A_misspelt_deployment_is_not_found_with_the_closest_names()
    {
        await Create(host, "cli-chat-alpha");
        try
        {
            var r = await host.Run("serve", "chat", "cli-chat-alpah", "Hi", "--max-tokens", "2");
            Assert.Equal(ExitCodes.NotFound, r.ExitCode);
            Assert.Contains("NAME: no live deployment 'cli-chat-alpah'. Did you mean cli-chat-alpha?", r.Error);
            Assert.Equal("", r.Out);
        }
        finally
        {
            await host.Run("serve", "delete", "cli-chat-alpha");
        }
    }

    [Fact]
    public async Task Creating_on_an_unknown_device_names_the_flag_and_the_closest_devices()
    {
        var r = await host.Run("serve", "create", "cli-bad-device", "--device", "h100");
        Assert.Equal(ExitCodes.NotFound, r.ExitCode);
        Assert.Contains("--device: no device 'h100'. Did you mean h100-sxm", r.Error);
    }

    [Fact]
    public async Task Chat_needs_a_prompt_or_a_prompt_length()
    {
        var r = await host.Run("serve", "chat", "anything");
        Assert.Equal(ExitCodes.BadUsage, r.ExitCode);
        Assert.Contains("give PROMPT, --prompt-tokens N, --prompt-token-ids IDS or --prompt-token-ids-file FILE",
            r.Error);
    }
}
