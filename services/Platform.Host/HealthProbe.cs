using Platform.ServiceDefaults;

namespace Platform.Host;

/// <summary>
/// `Platform.Host --healthcheck`: asks this container's own /health/ready and exits 0 or 1.
/// Used by the Docker HEALTHCHECK, since the runtime image has no curl. With TLS on the Http endpoint the probe
/// accepts the endpoint's certificate on loopback only (it asks its own process, whose name the certificate may not
/// carry); elsewhere the certificate must be valid.
/// </summary>
public static class HealthProbe
{
    public static bool IsRequested(string[] args) => args.Contains("--healthcheck");

    public static async Task<int> RunAsync()
    {
        string url = RoleClients.Dialable(
            Environment.GetEnvironmentVariable("Kestrel__Endpoints__Http__Url") ?? "http://127.0.0.1:5081");
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (request, _, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None || request.RequestUri?.IsLoopback == true,
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var response = await http.GetAsync($"{url.TrimEnd('/')}/health/ready");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (HttpRequestException)
        {
            return 1;
        }
        catch (TaskCanceledException)
        {
            return 1;
        }
    }
}
