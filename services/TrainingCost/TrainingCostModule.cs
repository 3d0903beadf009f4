using Microsoft.AspNetCore.Builder;
using Platform.Contracts.Emulator.V1;
using Platform.ServiceDefaults;
using TrainingCost.Grpc;

namespace TrainingCost;

/// <summary>Composition of the training-cost role.</summary>
public static class TrainingCostModule
{
    public static WebApplicationBuilder AddTrainingCost(this WebApplicationBuilder builder)
    {
        // Per-op times come from the emulator role, always through gRPC (never in-process).
        builder.AddRoleClient<EmulatorService.EmulatorServiceClient>("Emulator");
        return builder;
    }

    public static WebApplication MapTrainingCost(this WebApplication app)
    {
        app.MapGrpcService<TrainingCostGrpcService>();
        return app;
    }
}
