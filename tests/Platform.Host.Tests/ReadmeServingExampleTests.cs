using System.Globalization;
using System.Text.RegularExpressions;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace Platform.Host.Tests;

/// <summary>The README's live-serving example (a DeepSeek-R1 deployment on H20s) is accepted as written: the layout
/// fits the accelerators' memory with room for a full-context request, and a chat request is answered.</summary>
public sealed partial class ReadmeServingExampleTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [GeneratedRegex(@"platform serve create (?<name>\S+) --model (?<model>\S+) --device (?<device>\S+) "
        + @"--tp (?<tp>\d+) --pp (?<pp>\d+)")]
    private static partial Regex CreateDeployment();

    [Fact]
    public async Task The_readme_deepseek_r1_on_h20_deployment_is_created_and_answers_a_chat()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "README.md"));
        var match = CreateDeployment().Match(readme);
        Assert.True(match.Success, "README.md has a `platform serve create` example");
        // What `platform serve create` sends for those flags (the CLI leaves every other field unset).
        var request = new CreateDeploymentRequest
        {
            Name = match.Groups["name"].Value,
            Model = new Platform.Contracts.Common.V1.ModelSpec { Preset = match.Groups["model"].Value },
            Deployment = new Deployment
            {
                Accelerator = match.Groups["device"].Value, Replicas = 1,
                TensorParallel = int.Parse(match.Groups["tp"].Value, CultureInfo.InvariantCulture),
                PipelineParallel = int.Parse(match.Groups["pp"].Value, CultureInfo.InvariantCulture),
            },
            TimeScale = 0.01, // the example runs in real time; the test does not need to wait as long
        };
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(factory.Channel);
        var created = (await client.CreateDeploymentAsync(request)).Deployment;
        Assert.Equal("h20", created.Deployment.Accelerator);
        // Memory left for the KV cache holds at least one request at the model's full context.
        Assert.True(created.KvCacheTokensPerReplica >= created.MaxModelLen,
            $"the layout leaves {created.KvCacheTokensPerReplica} KV tokens per replica, under the context of "
            + $"{created.MaxModelLen}");

        using var http = factory.CreateClient();
        using var r = await http.PostAsync("/v1/chat/completions", new StringContent($$"""
            {"model":"{{created.Name}}","max_tokens":8,"ignore_eos":true,
             "messages":[{"role":"user","content":"Hello"}]}
            """, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("\"completion_tokens\":8", await r.Content.ReadAsStringAsync());
        await client.DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = created.Name });
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException("Platform.sln not found above the test's folder");
    }
}
