using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Xunit;

namespace Platform.Testing;

/// <summary>
/// The whole platform in-process (roles "all", in-memory bus). gRPC clients the roles use to call each
/// other are pointed at the test server, so cross-role calls stay real gRPC calls. Each factory has its own SQLite
/// database file (<see cref="DatabaseFile"/>, deleted with the factory unless <see cref="KeepDatabase"/>), so tests
/// stay isolated; a second factory on the same file is the same platform restarted.
/// </summary>
public class PlatformFactory : WebApplicationFactory<Program>
{
    private GrpcChannel? _channel;

    /// <summary>The SQLite file this factory's host keeps jobs and custom devices in.</summary>
    public string DatabaseFile { get; init; } =
        Path.Combine(Path.GetTempPath(), $"platform-test-{Guid.NewGuid():N}.db");

    /// <summary>Leave <see cref="DatabaseFile"/> in place when the factory is disposed (to start it again).</summary>
    public bool KeepDatabase { get; init; }

    /// <summary>The database connection string (ConnectionStrings:Platform) for <see cref="DatabaseFile"/>.</summary>
    public string ConnectionString => $"Data Source={DatabaseFile};Pooling=False";

    /// <summary>Extra configuration (key → value) applied on top of appsettings.json.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Platform:Database:Provider", "sqlite");
        builder.UseSetting("ConnectionStrings:Platform", ConnectionString);
        foreach (var (k, v) in Settings) builder.UseSetting(k, v);
        builder.ConfigureServices(services =>
            services.ConfigureAll<HttpClientFactoryOptions>(o =>
                o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = Server.CreateHandler())));
    }

    /// <summary>A channel to the in-process server.</summary>
    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(Server.BaseAddress,
        new GrpcChannelOptions { HttpHandler = Server.CreateHandler(), MaxReceiveMessageSize = 64 * 1024 * 1024 });

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        _busToSettle = true;
        return host;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_busToSettle)
        {
            _busToSettle = false;
            WaitForBusStarted();
        }
        try
        {
            await base.DisposeAsync();
        }
        catch (NullReferenceException e) when (e.StackTrace?.Contains(StopRaceFrame, StringComparison.Ordinal) == true)
        {
            // MassTransit 8.5's receive endpoint reads its transport handle twice without a lock while stopping, so a
            // stop that meets an endpoint still starting can fault (later versions gate the endpoint's lifecycle).
            // The host is stopped all the same; a test fixture's disposal is no place to fail on it.
        }
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        _channel?.Dispose();
        base.Dispose(disposing);
        if (disposing && !KeepDatabase) DeleteDatabase(DatabaseFile);
    }

    private const string StopRaceFrame = "MassTransit.Transports.ReceiveEndpoint.Stop";

    private bool _busToSettle;

    /// <summary>Gives the bus a few seconds to finish starting (every endpoint ready) before the host stops it, so
    /// a short-lived factory does not stop endpoints that are still starting.</summary>
    private void WaitForBusStarted()
    {
        if (Services.GetService<IBusControl>() is not { } bus) return;
        var until = DateTime.UtcNow.AddSeconds(3);
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy && DateTime.UtcNow < until) Thread.Sleep(20);
    }

    /// <summary>Deletes a SQLite database file and its journal files, if there.</summary>
    public static void DeleteDatabase(string file)
    {
        foreach (string f in new[] { file, file + "-wal", file + "-shm", file + "-journal" })
        {
            try { File.Delete(f); }
            catch (IOException) { } // still open somewhere: left in the temp folder
        }
    }
}

/// <summary>Assertions on gRPC error statuses.</summary>
public static class GrpcAssert
{
    /// <summary>
    /// Asserts the call fails with <paramref name="code"/> and a message naming <paramref name="field"/>; returns
    /// the exception.
    /// </summary>
    public static async Task<RpcException> FailsWith(StatusCode code, string field, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(field, e.Status.Detail, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    /// <summary>
    /// Asserts InvalidArgument carrying a google.rpc.BadRequest violation on <paramref name="field"/>.
    /// </summary>
    public static async Task<RpcException> InvalidField(string field, Func<Task> call)
    {
        var e = await FailsWith(StatusCode.InvalidArgument, field, call);
        var status = e.GetRpcStatus();
        Assert.NotNull(status);
        var bad = status!.GetDetail<BadRequest>();
        Assert.NotNull(bad);
        Assert.Contains(bad!.FieldViolations, v => v.Field.Contains(field, StringComparison.OrdinalIgnoreCase));
        return e;
    }

    /// <summary>
    /// Asserts InvalidArgument whose google.rpc.BadRequest names exactly <paramref name="field"/> (the full path
    /// as the client sees it, e.g. "run.cluster.count") among its violations; returns the violations.
    /// </summary>
    public static async Task<IReadOnlyList<BadRequest.Types.FieldViolation>> InvalidFieldPath(string field,
        Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var bad = e.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(bad);
        Assert.Contains(field, bad!.FieldViolations.Select(v => v.Field));
        Assert.Contains(field, e.Status.Detail);
        return bad.FieldViolations;
    }
}
