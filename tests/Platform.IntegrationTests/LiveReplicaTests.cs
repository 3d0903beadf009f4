using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;
using Xunit.Abstractions;

namespace Platform.IntegrationTests;

/// <summary>
/// Two inference host processes on one database, as replicas behind a load balancer: a deployment created on A is
/// listed by B, B forwards its Generate and OpenAI requests to A (the deployment's scheduler runs in A alone), token-id
/// prompts keep their ids on the way (A's prefix cache hits a repeated one), and once A is gone B says so and names A
/// rather than failing obscurely.
/// </summary>
public sealed partial class LiveReplicaTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> Settings(SharedDatabase db) => new()
    {
        ["Platform__Database__Provider"] = db.Provider, ["ConnectionStrings__Platform"] = db.Connection,
        ["Platform__Live__HeartbeatSeconds"] = "1", ["Platform__Live__OwnerTimeoutSeconds"] = "3",
    };

    [Fact]
    public async Task A_deployment_created_on_one_replica_is_listed_and_served_through_the_other_until_its_owner_goes()
    {
        await using var db = await SharedDatabase.CreateAsync();
        var a = await HostProcess.StartAsync("inference,emulator", Settings(db));
        await using var _ = a;
        await using var b = await HostProcess.StartAsync("inference,emulator", Settings(db));
        using var channelA = GrpcChannel.ForAddress(a.GrpcUrl);
        using var channelB = GrpcChannel.ForAddress(b.GrpcUrl);
        var onA = new InferenceSchedulerService.InferenceSchedulerServiceClient(channelA);
        var onB = new InferenceSchedulerService.InferenceSchedulerServiceClient(channelB);

        await onA.CreateDeploymentAsync(Google.Protobuf.JsonParser.Default.Parse<CreateDeploymentRequest>("""
            {"name":"shared-llama","model":{"preset":"llama-3.1-8b"},
             "deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1},"timeScale":0.1}
            """));
        var listed = Assert.Single((await onB.ListDeploymentsAsync(new ListDeploymentsRequest())).Deployments);
        Assert.Equal(("shared-llama", a.GrpcUrl, false), (listed.Name, listed.Owner, listed.OwnerGone));
        Assert.True(listed.MaxModelLen > 0);

        // Generate on B runs on A: A's scheduler counts the request.
        var finished = await Generate(onB, 24);
        Assert.Equal((24, "length"), (finished.Usage.CompletionTokens, finished.FinishReason));
        var onOwner = (await onA.GetDeploymentAsync(new GetDeploymentRequest { Name = "shared-llama" })).Deployment;
        Assert.Equal(1, onOwner.Stats.CompletedRequests);
        var throughB = (await onB.GetDeploymentAsync(new GetDeploymentRequest { Name = "shared-llama" })).Deployment;
        Assert.Equal((1L, a.GrpcUrl), (throughB.Stats.CompletedRequests, throughB.Owner));

        // The OpenAI API of B answers for it too, streamed.
        using var http = new HttpClient { BaseAddress = new Uri(b.HttpUrl) };
        using (var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models")))
            Assert.Equal("shared-llama", models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        using (var r = await Chat(http))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            string sse = await r.Content.ReadAsStringAsync();
            Assert.Contains("\"completion_tokens\":9", sse);
            Assert.EndsWith("data: [DONE]\n\n", sse);
        }
        Assert.Equal(2, (await onA.GetDeploymentAsync(new GetDeploymentRequest { Name = "shared-llama" }))
            .Deployment.Stats.CompletedRequests);
        await Token_id_prompts_sent_through_B_hit_the_owners_prefix_cache(onB, http);

        // A goes away without a word: B reports the owner gone and names it.
        await a.KillAsync();
        LiveDeployment gone = throughB;
        for (int i = 0; i < 100 && !gone.OwnerGone; i++)
        {
            await Task.Delay(100);
            gone = (await onB.GetDeploymentAsync(new GetDeploymentRequest { Name = "shared-llama" })).Deployment;
        }
        Assert.True(gone.OwnerGone);
        var e = await Assert.ThrowsAsync<RpcException>(() => Generate(onB, 4));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains(a.GrpcUrl, e.Status.Detail);
        using (var r = await Chat(http))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            Assert.Contains(a.GrpcUrl, await r.Content.ReadAsStringAsync());
        }

        // Once its heartbeat is older than the owner timeout, the store says so to every replica; deleting it on B
        // clears it from the store.
        var listedGone = listed;
        for (int i = 0; i < 100 && !listedGone.OwnerGone; i++)
        {
            await Task.Delay(100);
            listedGone = (await onB.ListDeploymentsAsync(new ListDeploymentsRequest())).Deployments.Single();
        }
        Assert.True(listedGone.OwnerGone);
        await onB.DeleteDeploymentAsync(new DeleteDeploymentRequest { Name = "shared-llama" });
        Assert.Empty((await onB.ListDeploymentsAsync(new ListDeploymentsRequest())).Deployments);
    }

    private static async Task<GenerateFinished> Generate(
        InferenceSchedulerService.InferenceSchedulerServiceClient client, int maxTokens)
    {
        using var call = client.Generate(new GenerateRequest
        {
            Deployment = "shared-llama", Prompt = "Forward me", MaxTokens = maxTokens,
        }, deadline: DateTime.UtcNow.AddSeconds(60));
        GenerateFinished? finished = null;
        int tokens = 0;
        await foreach (var m in call.ResponseStream.ReadAllAsync())
        {
            tokens += m.Tokens?.Count ?? 0;
            finished ??= m.Finished;
        }
        Assert.NotNull(finished);
        Assert.Equal(finished.Usage.CompletionTokens, tokens);
        return finished;
    }

    private static Task<HttpResponseMessage> Chat(HttpClient http) => http.PostAsync("/v1/chat/completions",
        new StringContent("""
            {"model":"shared-llama","max_tokens":9,"ignore_eos":true,"stream":true,
             "stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello from B"}]}
            """, Encoding.UTF8, "application/json"));
}
