using Grpc.Net.Client;
using Platform.Contracts.Emulator.V1;

namespace Platform.IntegrationTests;

/// <summary>The host as an operator starts it: `dotnet path/to/Platform.Host.dll` from any directory.</summary>
public sealed class HostStartupTests
{
    [Fact]
    public async Task Host_started_from_another_directory_still_serves_grpc_with_its_shipped_settings()
    {
        // Only the URLs come from the environment; the h2c protocol of the Grpc endpoint comes from the
        // appsettings.json beside the executable, which must be found although the process starts elsewhere.
        string elsewhere = Directory.CreateTempSubdirectory("platform-cwd-").FullName;
        try
        {
            await using var host = await HostProcess.StartAsync("emulator", new Dictionary<string, string>(),
                workingDirectory: elsewhere);
            using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
            var device = await new EmulatorService.EmulatorServiceClient(channel)
                .GetDeviceAsync(new GetDeviceRequest { Id = "h800" });
            Assert.Equal("h800", device.Device.Id);
            // its Serilog console sink came from the same file
            Assert.Contains("Platform host running roles", host.Output);
        }
        finally { Directory.Delete(elsewhere, recursive: true); }
    }
}
