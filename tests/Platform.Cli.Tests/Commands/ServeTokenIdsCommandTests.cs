using System.Text.Json;
using Platform.Cli.Commands.Serve;
using Platform.Cli.Infrastructure;

namespace Platform.Cli.Tests.Commands;

/// <summary>platform serve chat with the prompt as token ids (GenerateRequest.prompt_token_ids).</summary>
[Collection(CliCollection.Name)]
public sealed class ServeTokenIdsCommandTests(CliHost host)
{
    /// <summary>The usage the finished event reports.</summary>
    private static JsonElement Usage(CliResult r)
    {
        Assert.True(r.ExitCode == ExitCodes.Ok, r.Error);
        var last = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        return JsonDocument.Parse(last).RootElement.GetProperty("finished").GetProperty("usage").Clone();
    }

    [Fact]
    public async Task A_repeated_token_id_prompt_finds_its_full_units_cached()
    {
        const string name = "cli-serve-ids";
        await ServeCommandTests.Create(host, name);
        string file = Path.GetTempFileName();
        try
        {
            // 1,100 ids: two full 512-token units and a 76-token tail. docs/SERVING.md: the prefix cache keys full
            // units only, so the repeat finds exactly 2 x 512 = 1,024 tokens cached and the first finds none.
            var ids = Enumerable.Range(0, 1100).Select(i => (i * 7919 + 11) % 128000).ToArray();
            var first = Usage(await host.Run("serve", "chat", name, "--prompt-token-ids", string.Join(',', ids),
                "--max-tokens", "4", "--json"));
            Assert.Equal(1100, first.GetProperty("promptTokens").GetInt32());
            Assert.Equal(0, first.GetProperty("cachedTokens").GetInt32());

            // The same ids from a file, one per whitespace (spaces and newlines), read as the same prompt.
            await File.WriteAllTextAsync(file, string.Join(' ', ids[..600]) + "\n" + string.Join('\n', ids[600..]));
            var again = await host.Run("serve", "chat", name, "--prompt-token-ids-file", file, "--max-tokens", "4");
            Assert.True(again.ExitCode == ExitCodes.Ok, again.Error);
            Assert.Contains("4 tokens generated; prompt 1100 (1024 cached)", again.Out);
        }
        finally
        {
            File.Delete(file);
            await host.Run("serve", "delete", name);
        }
    }

    [Theory]
    [InlineData("1,-2,3", "--prompt-token-ids: token id 2 is '-2'; token ids are integers from 0 to 2147483647")]
    [InlineData("1,two", "--prompt-token-ids: token id 2 is 'two'")]
    [InlineData("5,2147483648", "--prompt-token-ids: token id 2 is '2147483648'")]
    [InlineData(" , ", "--prompt-token-ids: no token ids")]
    public async Task Bad_token_ids_are_refused_before_anything_is_sent(string ids, string message)
    {
        // No deployment of this name exists: the list is refused on the client before the server is asked.
        var r = await host.Run("serve", "chat", "no-such-deployment", "--prompt-token-ids", ids);
        Assert.Equal(ExitCodes.BadUsage, r.ExitCode);
        Assert.Contains(message, r.Error);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void More_ids_than_the_server_takes_are_refused_naming_the_limit()
    {
        string ids = string.Join(',', Enumerable.Repeat("1", PromptTokenIds.MaxIds + 1));
        var e = Assert.Throws<CliUsageException>(() => PromptTokenIds.FromList("--prompt-token-ids", ids));
        Assert.Equal("--prompt-token-ids: more than 1,048,576 token ids; a prompt has at most 1,048,576", e.Message);
        Assert.Equal(PromptTokenIds.MaxIds,
            PromptTokenIds.FromList("--prompt-token-ids", ids[..^2]).Length);
    }

    [Fact]
    public async Task A_missing_file_and_two_prompts_at_once_are_usage_errors()
    {
        var missing = await host.Run("serve", "chat", "x", "--prompt-token-ids-file", "/nonexistent/ids.txt");
        Assert.Equal(ExitCodes.BadUsage, missing.ExitCode);
        Assert.Contains("--prompt-token-ids-file: no file '/nonexistent/ids.txt'", missing.Error);

        var both = await host.Run("serve", "chat", "x", "Hello", "--prompt-token-ids", "1,2");
        Assert.Equal(ExitCodes.BadUsage, both.ExitCode);
        Assert.Contains("(one of them)", both.Error);
    }
}
