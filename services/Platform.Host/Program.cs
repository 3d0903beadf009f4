using HardwareEmulator;
using InferenceScheduler;
using Platform.Host;
using Platform.ServiceDefaults;
using TrainingCost;

if (HealthProbe.IsRequested(args)) return await HealthProbe.RunAsync();

ServiceDefaultsExtensions.UseBootstrapLogger();
// Started from another directory (`dotnet path/to/Platform.Host.dll`), still read the appsettings.json shipped
// beside it.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"))
        ? null
        : AppContext.BaseDirectory,
});
var roles = PlatformRoles.Parse(builder.Configuration["Platform:Roles"]);
builder.AddServiceDefaults();
if (roles.Emulator) builder.AddHardwareEmulator();
if (roles.Training) builder.AddTrainingCost();
if (roles.Inference) builder.AddInferenceScheduler();
builder.AddPlatformBus();

var app = builder.Build();
app.MapServiceDefaults();
if (roles.Emulator) app.MapHardwareEmulator();
if (roles.Training) app.MapTrainingCost();
if (roles.Inference) app.MapInferenceScheduler();
app.Logger.LogInformation("Platform host running roles {Roles}", roles);
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
