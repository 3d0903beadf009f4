using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace Platform.ServiceDefaults.Tests.Security;

/// <summary>Per-client rate limits: a client past its rate is told to come back later, then let in again.</summary>
public sealed class RateLimitTests : IClassFixture<RateLimitTests.LimitedPlatform>
{
    public sealed class LimitedPlatform : PlatformFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["RateLimit:PermitsPerSecond"] = "2",
            ["RateLimit:Burst"] = "3",
        };
    }

    private readonly LimitedPlatform _platform;

    public RateLimitTests(LimitedPlatform platform) => _platform = platform;

    [Fact]
    public async Task Calls_past_the_burst_are_resource_exhausted_with_retry_after_then_allowed_again()
    {
        var client = new TrainingCostService.TrainingCostServiceClient(_platform.Channel);
        RpcException? refused = null;
        for (int i = 0; i < 10 && refused is null; i++)
        {
            try { await client.ListModelPresetsAsync(new ListModelPresetsRequest()); }
            catch (RpcException e) { refused = e; }
        }
        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused!.StatusCode);
        Assert.Contains("RateLimit:PermitsPerSecond", refused.Status.Detail);
        Assert.True(int.Parse(refused.Trailers.GetValue("retry-after")!) >= 1);

        // Health checks are never limited.
        var health = new Grpc.Health.V1.Health.HealthClient(_platform.Channel);
        for (int i = 0; i < 10; i++)
            await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "liveness" });

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.NotEmpty((await client.ListModelPresetsAsync(new ListModelPresetsRequest())).Presets);
    }
}
