using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Web.Tests;

/// <summary>REST answers to the same authentication as gRPC, and production can switch the OpenAPI document off.
/// </summary>
public sealed class RestSecurityTests
{
    private const string Key = "rest-test-key-0123456789";

    [Fact]
    public async Task With_auth_on_a_rest_call_needs_a_key_and_openapi_can_be_switched_off()
    {
        await using var host = await HostProcess.StartAsync("emulator", new Dictionary<string, string>
        {
            ["Auth__Enabled"] = "true",
            ["Auth__ApiKeys__web__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key))),
            ["Auth__ApiKeys__web__Scopes"] = "read",
            ["Platform__OpenApi"] = "false",
            ["Platform__Database__Provider"] = "none",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };

        var anonymous = await http.GetAsync("/api/v1/devices/h800");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/devices/h800");
        request.Headers.Add("x-api-key", Key);
        var authorized = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Contains("\"h800\"", await authorized.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/openapi/v1.json")).StatusCode);

        // The job event stream answers to the same key: none is 401, the key reaches the job lookup (404).
        const string events = "/api/v1/jobs/0b4f8c9e-0000-4000-8000-000000000000/events";
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(events)).StatusCode);
        using var keyed = new HttpRequestMessage(HttpMethod.Get, events);
        keyed.Headers.Add("x-api-key", Key);
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(keyed)).StatusCode);
    }
}
