using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Platform.EmulatorClient;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Jobs;
using TrainingCost.Caching;
using TrainingCost.Domain;
using TrainingCost.Grpc;
using TrainingCost.Mapping;
using TrainingCost.Messaging;
using Platform.ServiceDefaults.Security;

namespace TrainingCost;

/// <summary>Composition of the training-cost role.</summary>
public static class TrainingCostModule
{
    public static WebApplicationBuilder AddTrainingCost(this WebApplicationBuilder builder)
    {
        // Device facts and per-op times come from the emulator role through the one emulator client.
        builder.AddEmulatorClient();
        builder.Services.AddSingleton(Calibration.Default);
        builder.Services.AddTransient<TrainingEstimator>();
        // Estimates and plan searches are jobs of the shared job model (written through to the platform database
        // when the host registered one).
        builder.AddPlatformJobs();
        // Repeated estimates of the same run come from a bounded cache (Platform:TrainingCost:EstimateCache).
        builder.Services.AddOptions<TrainingEstimateCacheOptions>()
            .BindConfiguration(TrainingEstimateCacheOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TrainingEstimateCache>();
        // A job whose state the database could not save is retried (TrainingJobConsumerDefinition).
        builder.Services.AddBusRegistration(x => x.AddConsumer<TrainingJobConsumer>(
            typeof(TrainingJobConsumerDefinition)));
        // Each instance keeps its own op-timing cache (in the emulator client), estimate cache and job store, so these
        // events reach every instance.
        builder.Services.AddBroadcastConsumer<DeviceRegisteredConsumer>();
        builder.Services.AddBroadcastConsumer<TrainingJobCompletedConsumer>();
        return builder;
    }

    public static WebApplication MapTrainingCost(this WebApplication app)
    {
        app.MapGrpcService<TrainingCostGrpcService>().RequireAuthorization(PlatformScopes.ReadPolicy);
        return app;
    }
}
