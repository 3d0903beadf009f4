using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace Platform.Host.Tests;

/// <summary>One live deployment (ten times faster than real time) shared by the OpenAI-compatibility tests.</summary>
public sealed class LiveDeploymentFactory : PlatformFactory
{
    public const string Model = "llama-8b-h100";
    private Task? _created;

    public Task EnsureDeploymentAsync() => _created ??= new InferenceSchedulerService.InferenceSchedulerServiceClient(
        Channel).CreateDeploymentAsync(Google.Protobuf.JsonParser.Default.Parse<CreateDeploymentRequest>(
        """
        {"name":"llama-8b-h100","model":{"preset":"llama-3.1-8b"},
         "deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1},"timeScale":0.1}
        """)).ResponseAsync;

    public OpenAIClient OpenAi(HttpClient http) => new(new ApiKeyCredential("unused"), new OpenAIClientOptions
    {
        Endpoint = new Uri(http.BaseAddress!, "/v1"), Transport = new HttpClientPipelineTransport(http),
    });
}

/// <summary>The official OpenAI .NET client completes, chats and streams against a live deployment; bad input gets
/// OpenAI's error shape with the status vLLM gives.</summary>
public sealed class OpenAiCompatibilityTests(LiveDeploymentFactory factory) : IClassFixture<LiveDeploymentFactory>
{
    [Fact]
    public async Task The_openai_client_lists_the_model_chats_and_streams_with_usage()
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        var client = factory.OpenAi(http);
        var models = (await client.GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Contains(models, m => m.Id == LiveDeploymentFactory.Model);

        var chat = client.GetChatClient(LiveDeploymentFactory.Model);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12 };
        ChatCompletion done = await chat.CompleteChatAsync([new UserChatMessage("How many H20 for DeepSeek-R1?")],
            options);
        // Without ignore_eos (vLLM's default) the answer may end at its end of sequence before max_tokens.
        Assert.InRange(done.Usage.OutputTokenCount, 1, 12);
        Assert.True(done.Usage.InputTokenCount > 5);
        Assert.Equal(done.Usage.OutputTokenCount == 12 ? ChatFinishReason.Length : ChatFinishReason.Stop,
            done.FinishReason);
        Assert.False(string.IsNullOrWhiteSpace(done.Content[0].Text));

        int updates = 0;
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var u in chat.CompleteChatStreamingAsync([new UserChatMessage("Stream, please.")],
                           new ChatCompletionOptions { MaxOutputTokenCount = 20 }))
        {
            updates++;
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            usage ??= u.Usage;
        }
        Assert.True(updates >= 2);
        Assert.NotNull(usage);
        Assert.InRange(usage.OutputTokenCount, 1, 20);
        Assert.False(string.IsNullOrWhiteSpace(text.ToString()));
    }

    [Fact]
    public async Task Completions_answer_whole_and_streamed_with_n_choices()
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        using var whole = await Post(http, "/v1/completions",
            """{"model":"llama-8b-h100","prompt":"Once upon a time","max_tokens":7,"n":2,"ignore_eos":true}""");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        using var doc = JsonDocument.Parse(await whole.Content.ReadAsStringAsync());
        Assert.Equal(2, doc.RootElement.GetProperty("choices").GetArrayLength());
        Assert.Equal(14, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        using var streamed = await Post(http, "/v1/completions",
            """{"model":"llama-8b-h100","prompt":"Hello","max_tokens":9,"stream":true}""");
        string sse = await streamed.Content.ReadAsStringAsync();
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("data: [DONE]\n\n", sse);
        Assert.True(sse.Split("data: {").Length - 1 >= 2);
    }

    [Theory]
    [InlineData("""{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}""", 404, "model")]
    [InlineData("""{"model":"llama-8b-h100","max_tokens":-1,"messages":[{"role":"user","content":"x"}]}""", 400,
        "max_tokens")]
    [InlineData("""{"model":"llama-8b-h100","messages":[]}""", 400, "messages")]
    [InlineData("""{"model":"llama-8b-h100","messages":[{"role":"user","content":"x"}],"n":99}""", 400, "n")]
    [InlineData("""{"model":"llama-8b-h100","messages":""", 400, null)]
    public async Task Bad_input_gets_openai_errors(string body, int status, string? param)
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        using var r = await Post(http, "/v1/chat/completions", body);
        Assert.Equal(status, (int)r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_refused_with_400()
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        // 140,000 token ids: past Llama 3.1's 131,072-token context.
        string ids = string.Join(',', Enumerable.Repeat("1000", 140_000));
        using var r = await Post(http, "/v1/completions", $$"""{"model":"llama-8b-h100","prompt":[{{ids}}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("context", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_carry_vllm_names_labelled_by_deployment_beside_the_existing_ones()
    {
        await factory.EnsureDeploymentAsync();
        using var http = factory.CreateClient();
        string text = await http.GetStringAsync("/metrics");
        foreach (var name in new[] { "vllm:num_requests_running", "vllm:num_requests_waiting",
                     "vllm:kv_cache_usage_perc", "vllm:generation_tokens_total", "vllm:prompt_tokens_total",
                     "vllm:prefix_cache_queries_total", "vllm:time_to_first_token_seconds_bucket",
                     "vllm:inter_token_latency_seconds_bucket", "vllm:e2e_request_latency_seconds_bucket",
                     "vllm:request_queue_time_seconds_bucket" })
            Assert.Contains(name + "{model_name=\"llama-8b-h100\"", text);
        Assert.Contains("target_info", text); // OpenTelemetry's part stays
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, string path, string json) =>
        http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
}
