using Grpc.Core;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Devices;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Security;

namespace Platform.EmulatorClient;

/// <summary>Registers the one emulator client of a role.</summary>
public static class EmulatorClientExtensions
{
    /// <summary>
    /// <see cref="IEmulator"/> for this host: in-process when the emulator role registered its backend first (it is
    /// co-hosted), otherwise gRPC to Platform:Endpoints:Emulator with a deadline per call and retries with
    /// exponential backoff on Unavailable. Readiness reports NOT_SERVING while a remote emulator does not answer.
    /// </summary>
    public static IHostApplicationBuilder AddEmulatorClient(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(IEmulator))) return builder;
        services.AddOptions<EmulatorClientOptions>().BindConfiguration(EmulatorClientOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        var address = new EmulatorAddress(RoleClients.ResolveAddress(builder.Configuration, "Emulator"));
        services.AddSingleton(address);
        // With authentication on, the call carries this host's key (Auth:ClientApiKey).
        services.AddSingleton<ClientApiKeyInterceptor>();
        services.AddGrpcClient<EmulatorService.EmulatorServiceClient>(o => o.Address = new Uri(address.Url))
            .AddInterceptor<ClientApiKeyInterceptor>()
            .ConfigureChannel((sp, channel) =>
            {
                var o = sp.GetRequiredService<IOptions<EmulatorClientOptions>>().Value;
                channel.ServiceConfig = new ServiceConfig
                {
                    MethodConfigs =
                    {
                        new MethodConfig
                        {
                            Names = { MethodName.Default },
                            RetryPolicy = new RetryPolicy
                            {
                                MaxAttempts = o.MaxAttempts,
                                InitialBackoff = TimeSpan.FromMilliseconds(200),
                                MaxBackoff = TimeSpan.FromSeconds(2),
                                BackoffMultiplier = 2,
                                RetryableStatusCodes = { StatusCode.Unavailable },
                            },
                        },
                    },
                };
            });
        services.TryAddSingleton<IEmulatorBackend, GrpcEmulatorBackend>();
        services.AddSingleton<IEmulator, Emulator>();
        services.AddHealthChecks()
            .AddCheck<EmulatorHealthCheck>("emulator", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }
}

/// <summary>Readiness: NOT_SERVING while the emulator this role depends on does not answer.</summary>
public sealed class EmulatorHealthCheck(IEmulatorBackend backend) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        await backend.IsReachableAsync(ct)
            ? HealthCheckResult.Healthy($"emulator: {backend.Describe}")
            : HealthCheckResult.Unhealthy($"emulator at {backend.Describe} does not answer");
}
