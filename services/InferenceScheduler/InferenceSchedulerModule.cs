using InferenceScheduler.Application;
using InferenceScheduler.Application.Capacity;
using InferenceScheduler.Application.Live;
using InferenceScheduler.Http;
using InferenceScheduler.Grpc;
using InferenceScheduler.Infrastructure;
using InferenceScheduler.Messaging;
using InferenceScheduler.Messaging.Fleet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using InferenceScheduler.Domain.Live;
using Microsoft.AspNetCore.Builder;
using Platform.EmulatorClient;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Jobs;
using Platform.ServiceDefaults.Security;

namespace InferenceScheduler;

/// <summary>Composition of the inference-scheduler role.</summary>
public static class InferenceSchedulerModule
{
    public static WebApplicationBuilder AddInferenceScheduler(this WebApplicationBuilder builder)
    {
        // Device facts and step-time profiles come from the emulator role through the one emulator client.
        builder.AddEmulatorClient();
        builder.Services.AddSingleton<EmulatorProfiles>();
        builder.Services.AddSingleton<SimulationPlanner>();
        builder.Services.AddSingleton<CapacityPlanner>();
        // Live serving: deployments on virtual accelerators behind gRPC and the OpenAI-compatible HTTP routes, with
        // vLLM's metrics on /metrics.
        builder.Services.AddSingleton<LiveMetrics>();
        builder.Services.AddSingleton<IPrometheusTextSource>(sp => sp.GetRequiredService<LiveMetrics>());
        builder.Services.AddSingleton<PromptTokenizer>();
        builder.Services.AddSingleton<LiveGeneration>();
        builder.Services.AddSingleton<LiveDeployments>(sp => new LiveDeployments(
            sp.GetRequiredService<SimulationPlanner>(), sp.GetRequiredService<LiveMetrics>(),
            sp.GetService<IDeploymentStore>() ?? new InMemoryDeploymentStore(), sp.GetRequiredService<LiveOwnership>(),
            sp.GetRequiredService<ILogger<LiveDeployments>>())
        {
            ReplicaThreadPriority = sp.GetRequiredService<LiveServingOptions>().ReplicaThreadPriority,
        });
        // Deployments are stored with the platform's other state (in the process without a database); each runs in the
        // process that created it, which other replicas reach at its advertised address (docs/SERVING.md).
        var serving = builder.Configuration.GetSection(LiveServingOptions.Section).Get<LiveServingOptions>()
                      ?? new LiveServingOptions();
        System.ComponentModel.DataAnnotations.Validator.ValidateObject(serving,
            new System.ComponentModel.DataAnnotations.ValidationContext(serving), validateAllProperties: true);
        builder.Services.AddSingleton(serving);
        builder.Services.AddSingleton(new LiveOwnership(
            LiveOwnership.Resolve(serving.AdvertisedAddress, builder.Configuration["Kestrel:Endpoints:Grpc:Url"]),
            TimeSpan.FromSeconds(Math.Max(serving.OwnerTimeoutSeconds, serving.HeartbeatSeconds + 1))));
        builder.Services.AddHostedService<LiveHeartbeat>();
        // Forwarding over https trusts the system store, this host's own certificate and Platform:Live:ForwardingCaPath
        // (read now, so an unreadable file fails the start naming the setting).
        builder.Services.AddSingleton(ForwardingTrust.From(serving, builder.Configuration,
            builder.Environment.ContentRootPath));
        builder.Services.AddSingleton<LiveForwarder>();
        // Capacity plans also run as jobs of the shared job model (SubmitCapacityPlan, RunCapacityPlan on the bus).
        builder.AddPlatformJobs();
        builder.Services.AddBusRegistration(x => x.AddConsumer<CapacityPlanConsumer>());
        builder.Services.AddBusRegistration(x => x.AddConsumer<SimulationJobConsumer>());
        // On RabbitMQ a plan's layout searches are probes any inference instance runs (docs/INFERENCE.md).
        builder.Services.AddOptions<CapacityFleetOptions>().BindConfiguration(CapacityFleetOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.ResultTimeout > TimeSpan.Zero, $"{CapacityFleetOptions.Section}:ResultTimeout must be "
                + "positive")
            .ValidateOnStart();
        builder.Services.AddSingleton<CapacityFleet>();
        var fleet = builder.Configuration.GetSection(CapacityFleetOptions.Section).Get<CapacityFleetOptions>()
                    ?? new CapacityFleetOptions();
        builder.Services.AddWorkConsumer<CapacityProbeConsumer>(fleet.ProbeConcurrency);
        builder.Services.AddBroadcastConsumer<CapacityFleetEventsConsumer>();
        // Each instance keeps its own profile cache, so the event reaches every instance.
        builder.Services.AddBroadcastConsumer<InferenceDeviceRegisteredConsumer>();
        return builder;
    }

    public static WebApplication MapInferenceScheduler(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ForwardingTrust>().AcceptAny)
            app.Services.GetRequiredService<ILogger<LiveForwarder>>().LogWarning(
                "{Setting} is true: calls forwarded to other replicas accept any TLS certificate. Development only; "
                + "in production set {CaSetting} instead", LiveServingOptions.AcceptAnySetting,
                LiveServingOptions.CaPathSetting);
        app.MapGrpcService<InferenceSchedulerGrpcService>().RequireAuthorization(PlatformScopes.ReadPolicy);
        app.MapOpenAiRoutes();
        return app;
    }
}
