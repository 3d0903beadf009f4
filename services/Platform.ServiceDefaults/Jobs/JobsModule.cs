using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Jobs;
using Platform.ServiceDefaults.Security;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.ServiceDefaults.Jobs;

/// <summary>
/// Composition of the shared job model: one <see cref="JobStore"/> per host for every job kind (bounded by the "Jobs"
/// configuration section), written through to the platform database when the host registered one
/// (<see cref="IJobRepository"/>), and the platform.jobs.v1.JobService over it.
/// </summary>
public static class JobsModule
{
    public static WebApplicationBuilder AddPlatformJobs(this WebApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(JobStore))) return builder;
        builder.Services.AddOptions<JobStoreOptions>()
            .BindConfiguration(JobStoreOptions.FormerSection)
            .BindConfiguration(JobStoreOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Results are stored as their protobuf bytes.
        builder.Services.AddSingleton<IJobResultCodec, ProtoJobResultCodec>();
        builder.Services.AddSingleton(sp =>
            new JobStore(sp.GetRequiredService<IOptions<JobStoreOptions>>().Value, TimeProvider.System,
                sp.GetService<IJobRepository>()));
        builder.Services.AddHostedService<JobRecoveryService>();
        builder.Services.AddHostedService<JobGauge>();
        builder.Services.AddBroadcastConsumer<JobCancelRequestedConsumer>();
        return builder;
    }

    public static WebApplication MapPlatformJobs(this WebApplication app)
    {
        app.MapGrpcService<JobGrpcService>().RequireAuthorization(PlatformScopes.ReadPolicy);
        return app;
    }
}
