using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace Platform.Host.Tests;

/// <summary>
/// Deployments are stored with the platform's state: after a restart (same database, same address, a new process)
/// the previous process's deployment is still listed, reported with its owner gone, refused with a message naming the
/// owner, and creating it again runs it in the new process.
/// </summary>
public sealed class LiveRestartTests
{
    private static readonly CreateDeploymentRequest Create = Google.Protobuf.JsonParser.Default
        .Parse<CreateDeploymentRequest>("""
            {"name":"restart-llama","model":{"preset":"llama-3.1-8b"},
             "deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1},"timeScale":0.1}
            """);

    [Fact]
    public async Task A_deployment_outlives_its_process_as_gone_and_is_taken_over_by_creating_it_again()
    {
        string file = Path.Combine(Path.GetTempPath(), $"platform-live-{Guid.NewGuid():N}.db");
        string owner;
        using (var before = new PlatformFactory { DatabaseFile = file, KeepDatabase = true })
            owner = (await Client(before).CreateDeploymentAsync(Create)).Deployment.Owner;
        Assert.False(string.IsNullOrEmpty(owner));

        using var after = new PlatformFactory { DatabaseFile = file };
        var client = Client(after);
        var listed = Assert.Single((await client.ListDeploymentsAsync(new ListDeploymentsRequest())).Deployments);
        Assert.Equal(("restart-llama", owner, true), (listed.Name, listed.Owner, listed.OwnerGone));
        Assert.True(listed.MaxModelLen > 0); // what it recorded at creation
        var refused = await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "deployment",
            () => Generate(client, 3));
        Assert.Contains(owner, refused.Status.Detail);

        var again = (await client.CreateDeploymentAsync(Create)).Deployment;
        Assert.False(again.OwnerGone);
        Assert.Equal(3, await Generate(client, 3));
        Assert.False(Assert.Single((await client.ListDeploymentsAsync(new ListDeploymentsRequest())).Deployments)
            .OwnerGone);
    }

    private static InferenceSchedulerService.InferenceSchedulerServiceClient Client(PlatformFactory f) =>
        new(f.Channel);

    private static async Task<int> Generate(InferenceSchedulerService.InferenceSchedulerServiceClient client,
        int maxTokens)
    {
        using var call = client.Generate(new GenerateRequest
        {
            Deployment = "restart-llama", PromptTokens = 20, MaxTokens = maxTokens,
        });
        int tokens = 0;
        await foreach (var m in call.ResponseStream.ReadAllAsync()) tokens += m.Tokens?.Count ?? 0;
        return tokens;
    }
}
