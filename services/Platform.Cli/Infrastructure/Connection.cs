using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Platform.Cli.Infrastructure;

/// <summary>A gRPC channel to the host with the caller's API key on every call.</summary>
public sealed class Connection : IDisposable
{
    private readonly GrpcChannel _channel;

    public Connection(GlobalSettings settings, CliEnvironment env)
    {
        Endpoint = settings.Endpoint ?? env.Variable("PLATFORM_ENDPOINT") ?? GlobalSettings.DefaultEndpoint;
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliUsageException($"--endpoint: '{Clip(Endpoint)}' is not an http:// or https:// URL " +
                $"(e.g. {GlobalSettings.DefaultEndpoint})");
        var options = new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 };
        if (env.Handler is not null) options.HttpHandler = env.Handler;
        _channel = GrpcChannel.ForAddress(uri, options);
        string? key = settings.ApiKey ?? env.Variable("PLATFORM_API_KEY");
        Invoker = string.IsNullOrEmpty(key)
            ? _channel.CreateCallInvoker()
            : _channel.CreateCallInvoker().Intercept(m => { m.Add("x-api-key", key); return m; });
        Deadline = TimeSpan.FromSeconds(settings.TimeoutSeconds);
    }

    public string Endpoint { get; }
    public CallInvoker Invoker { get; }
    public TimeSpan Deadline { get; }

    /// <summary>Call options with the deadline and the command's cancellation.</summary>
    public CallOptions Options(CancellationToken ct) => new(deadline: DateTime.UtcNow + Deadline,
        cancellationToken: ct);

    /// <summary>Options without a deadline (streams that last as long as a job).</summary>
    public static CallOptions Streaming(CancellationToken ct) => new(cancellationToken: ct);

    public void Dispose() => _channel.Dispose();

    internal static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
