using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;

namespace Platform.IntegrationTests;

/// <summary>The npm <c>openai</c> client (Node.js) lists, completes, chats and streams against a live deployment of
/// a host process.</summary>
public sealed class OpenAiNodeClientTests
{
    [Fact]
    public async Task The_npm_openai_client_completes_chats_and_streams()
    {
        await using var host = await HostProcess.StartAsync("inference,emulator", new Dictionary<string, string>(),
            TimeSpan.FromSeconds(120));
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        await new InferenceSchedulerService.InferenceSchedulerServiceClient(channel).CreateDeploymentAsync(
            Google.Protobuf.JsonParser.Default.Parse<CreateDeploymentRequest>(
                """
                {"name":"llama-8b-h100","model":{"preset":"llama-3.1-8b"},
                 "deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1},"timeScale":0.1}
                """));
        var (exit, stdout, stderr) = await NodeScript.RunAsync(null, TimeSpan.FromSeconds(60),
            "tests/Platform.IntegrationTests/openai-client.mjs", $"http://127.0.0.1:{host.HttpPort}/v1",
            "llama-8b-h100");
        Assert.True(exit == 0, $"node exited {exit}: {stderr}\n{stdout}");
        Assert.Contains("\"completion_tokens\":8", stdout);
    }
}
