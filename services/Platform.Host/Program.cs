using HardwareEmulator;
using InferenceScheduler;
using Platform.Host;
using Platform.Persistence;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Jobs;
using TrainingCost;

if (HealthProbe.IsRequested(args)) return await HealthProbe.RunAsync();

// `make migrate`: apply the database migrations and exit (not a configuration argument).
bool migrateOnly = args.Contains("--migrate");
args = [.. args.Where(a => a != "--migrate")];
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
// Jobs and custom devices outlive the process in the platform database (Platform:Database, ConnectionStrings:Platform).
// Every role has jobs, all answered by the one job API (platform.jobs.v1.JobService).
builder.AddPlatformDatabase();
builder.AddPlatformJobs();
if (roles.Emulator) builder.AddHardwareEmulator();
if (roles.Training) builder.AddTrainingCost();
if (roles.Inference) builder.AddInferenceScheduler();
builder.AddPlatformBus();

var app = builder.Build();
if (migrateOnly)
{
    await app.Services.MigratePlatformDatabaseAsync();
    return 0;
}
app.MapServiceDefaults();
app.MapPlatformJobs();
// The web page follows jobs through this stream (WatchJob as server-sent events).
app.MapJobEvents();
if (roles.Emulator) app.MapHardwareEmulator();
if (roles.Training) app.MapTrainingCost();
if (roles.Inference) app.MapInferenceScheduler();
app.Logger.LogInformation("Platform host running roles {Roles}", roles);
ReadyBanner.LogWhenReady(app, roles);
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
