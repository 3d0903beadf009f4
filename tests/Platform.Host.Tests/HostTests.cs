using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Platform.Host;
using Platform.Modeling.Errors;
using Platform.Testing;

namespace Platform.Host.Tests;

public sealed class HostTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Reflection_lists_the_three_platform_services()
    {
        var client = new ServerReflection.ServerReflectionClient(factory.Channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("platform.emulator.v1.EmulatorService", names);
        Assert.Contains("platform.training.v1.TrainingCostService", names);
        Assert.Contains("platform.inference.v1.InferenceSchedulerService", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("liveness")]
    [InlineData("readiness")]
    public async Task Health_answers_serving(string service)
    {
        var client = new Health.HealthClient(factory.Channel);
        var response = await client.CheckAsync(new HealthCheckRequest { Service = service });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Metrics_endpoint_exposes_request_metrics_in_prometheus_format()
    {
        await new Health.HealthClient(factory.Channel).CheckAsync(new HealthCheckRequest());
        using var http = factory.CreateClient();
        string text = "";
        // The exporter caches a scrape briefly; the first request may precede the recorded call.
        for (int i = 0; i < 20 && !text.Contains("http_server_request_duration"); i++)
        {
            text = await http.GetStringAsync("/metrics");
            if (!text.Contains("http_server_request_duration")) await Task.Delay(100);
        }
        Assert.Contains("http_server_request_duration", text);
    }

    [Fact]
    public async Task Http_health_endpoints_answer_healthy()
    {
        using var http = factory.CreateClient();
        Assert.Equal("Healthy", await http.GetStringAsync("/health/live"));
        Assert.Equal("Healthy", await http.GetStringAsync("/health/ready"));
    }
}

public sealed class PlatformRolesTests
{
    [Theory]
    [InlineData(null, true, true, true)]
    [InlineData("all", true, true, true)]
    [InlineData("training", true, false, false)]
    [InlineData("inference,emulator", false, true, true)]
    [InlineData(" Emulator ", false, false, true)]
    public void Roles_parse_from_configuration(string? value, bool training, bool inference, bool emulator)
    {
        Assert.Equal(new PlatformRoles(training, inference, emulator), PlatformRoles.Parse(value));
    }

    [Fact]
    public void Unknown_role_is_rejected_naming_the_setting()
    {
        var e = Assert.Throws<InvalidFieldException>(() => PlatformRoles.Parse("trainer"));
        Assert.Equal("Platform:Roles", e.Field);
        Assert.Contains("trainer", e.Reason);
    }
}
