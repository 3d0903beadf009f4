using Microsoft.Extensions.Configuration;

namespace Platform.ServiceDefaults;

/// <summary>
/// Where another role answers. The address comes from Platform:Endpoints:&lt;Role&gt;
/// (e.g. Platform__Endpoints__Emulator=http://emulator:5080); without it the client calls this
/// process's own Grpc endpoint, which is where the role runs in the all-in-one mode.
/// </summary>
public static class RoleClients
{
    public static string ResolveAddress(IConfiguration configuration, string role)
    {
        string? explicitUrl = configuration[$"Platform:Endpoints:{role}"];
        if (!string.IsNullOrWhiteSpace(explicitUrl)) return explicitUrl;
        return Dialable(configuration["Kestrel:Endpoints:Grpc:Url"] ?? "http://127.0.0.1:5080");
    }

    /// <summary>A listen URL made dialable: a wildcard bind address (+, *, 0.0.0.0, [::]) becomes loopback.</summary>
    public static string Dialable(string listenUrl) =>
        listenUrl.Replace("://+:", "://127.0.0.1:").Replace("://*:", "://127.0.0.1:")
            .Replace("://0.0.0.0:", "://127.0.0.1:")
            .Replace("://[::]:", "://127.0.0.1:");
}
