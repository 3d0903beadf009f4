using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Platform.ServiceDefaults.Rest;

namespace Platform.Host;

/// <summary>
/// Once the host listens: where it answers and three commands to try, in one log line (what `make run` shows a
/// newcomer). The addresses are the ones Kestrel bound, so port overrides (Kestrel__Endpoints__*__Url) show.
/// </summary>
public static class ReadyBanner
{
    public static void LogWhenReady(WebApplication app, PlatformRoles roles)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
                ?.Addresses.ToList() ?? [];
            string grpc = Url(app, "Grpc", addresses, 0), http = Url(app, "Http", addresses, 1);
            var lines = new List<string>
            {
                $"Platform is ready (roles {roles}).",
                $"  gRPC (h2c, reflection): {grpc}",
                $"  HTTP: {http}/ (web page), {http}/api/v1 (REST), "
                + (RestApi.OpenApiEnabled(app.Configuration) ? $"{http}/openapi (OpenAPI), " : "")
                + $"{http}/health/ready, {http}/metrics",
                "Try:",
            };
            if (roles.Emulator) lines.Add($"  curl -s {http}/api/v1/devices/h100-sxm");
            if (roles.Training)
                lines.Add($"  curl -s -X POST {http}/api/v1/training:estimate -H 'content-type: application/json' "
                    + "-d '{\"model\":{\"preset\":\"llama-3.1-8b\"},\"trainingTokens\":\"1000000000000\","
                    + "\"sequenceLength\":\"4096\",\"cluster\":{\"accelerator\":\"h100-sxm\",\"count\":\"64\"}}'");
            lines.Add($"  npx buf curl --http2-prior-knowledge --protocol grpc --reflect --list-methods {grpc}");
            lines.Add($"  open {http}/ in a browser");
            app.Logger.LogInformation("{Banner}", string.Join(Environment.NewLine, lines));
        });
    }

    /// <summary>The endpoint's configured URL, else the n-th bound address.</summary>
    private static string Url(WebApplication app, string endpoint, List<string> bound, int n) =>
        (app.Configuration[$"Kestrel:Endpoints:{endpoint}:Url"]
            ?? (bound.Count > n ? bound[n] : "(not bound)")).TrimEnd('/');
}
