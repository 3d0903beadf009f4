using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Platform.IntegrationTests;

/// <summary>The platform host started as a real process with one or more roles, on free loopback ports.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string? _ownDatabase;

    /// <summary>Where an endpoint's TLS certificate is configured (Kestrel__Endpoints__X__Certificate__Path).</summary>
    public const string GrpcCertificateKey = "Kestrel__Endpoints__Grpc__Certificate__Path";
    public const string HttpCertificateKey = "Kestrel__Endpoints__Http__Certificate__Path";

    private readonly Func<HttpMessageHandler>? _handler;

    public int GrpcPort { get; }
    public int HttpPort { get; }
    /// <summary>https when the settings give the endpoint a certificate.</summary>
    public string GrpcUrl { get; }
    public string HttpUrl { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    private HostProcess(string roles, IDictionary<string, string> settings, string? workingDirectory,
        Func<HttpMessageHandler>? handler)
    {
        _handler = handler;
        GrpcPort = FreePort();
        HttpPort = FreePort();
        GrpcUrl = $"{(settings.ContainsKey(GrpcCertificateKey) ? "https" : "http")}://127.0.0.1:{GrpcPort}";
        HttpUrl = $"{(settings.ContainsKey(HttpCertificateKey) ? "https" : "http")}://127.0.0.1:{HttpPort}";
        string hostDir = LocateHostDirectory();
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(hostDir, "Platform.Host.dll")])
        {
            WorkingDirectory = workingDirectory ?? hostDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["Platform__Roles"] = roles;
        psi.Environment["Kestrel__Endpoints__Grpc__Url"] = GrpcUrl;
        psi.Environment["Kestrel__Endpoints__Http__Url"] = HttpUrl;
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Platform__AutoDeleteQueues"] = "true"; // test hosts leave no queues behind on the broker
        // Each host keeps jobs and custom devices in its own SQLite file unless the test names the database.
        if (!settings.ContainsKey("ConnectionStrings__Platform"))
        {
            _ownDatabase = Path.Combine(Path.GetTempPath(), $"platform-host-{Guid.NewGuid():N}.db");
            psi.Environment["ConnectionStrings__Platform"] = $"Data Source={_ownDatabase}";
        }
        foreach (var (k, v) in settings) psi.Environment[k] = v;
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the host");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts the host and waits until its gRPC readiness check answers SERVING.</summary>
    /// <param name="workingDirectory">Where the process starts (default: the host's own output folder).</param>
    /// <param name="handler">Makes the HTTP handler of calls to the host (e.g. trusting its TLS certificate).</param>
    public static async Task<HostProcess> StartAsync(string roles, IDictionary<string, string> settings,
        TimeSpan? timeout = null,
        string? workingDirectory = null, Func<HttpMessageHandler>? handler = null)
    {
        var host = new HostProcess(roles, settings, workingDirectory, handler);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        using var channel = host.Channel();
        var health = new Health.HealthClient(channel);
        while (true)
        {
            if (host._process.HasExited)
                throw new InvalidOperationException(
                    $"host ({roles}) exited with {host._process.ExitCode}:\n{host.Output}");
            try
            {
                var r = await health.CheckAsync(new HealthCheckRequest { Service = "readiness" },
                    deadline: DateTime.UtcNow.AddSeconds(2));
                if (r.Status == HealthCheckResponse.Types.ServingStatus.Serving) return host;
            }
            catch (RpcException) { }
            if (DateTime.UtcNow > deadline)
            {
                await host.DisposeAsync();
                throw new TimeoutException($"host ({roles}) not ready:\n{host.Output}");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>A channel to the host's gRPC endpoint (through the handler given at start, if any).</summary>
    public GrpcChannel Channel() => _handler is null ? GrpcChannel.ForAddress(GrpcUrl)
        : GrpcChannel.ForAddress(GrpcUrl,
            new GrpcChannelOptions { HttpHandler = _handler(), DisposeHttpClient = true });

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Kills the process at once (SIGKILL: no graceful stop) and waits for it to go.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Stops the process gracefully (SIGTERM, as Kubernetes does) and waits for it to exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        if (_ownDatabase is not null)
            foreach (string f in new[] { _ownDatabase, _ownDatabase + "-wal", _ownDatabase + "-shm" })
                File.Delete(f);
    }

    /// <summary>A loopback port free at the time of asking.</summary>
    internal static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>services/Platform.Host/bin/&lt;same configuration as this test&gt;/net10.0.</summary>
    private static string LocateHostDirectory()
    {
        string baseDir = AppContext.BaseDirectory;
        string config = baseDir.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}")
            ? "Release"
            : "Debug";
        var dir = new DirectoryInfo(baseDir);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("repository root (Platform.sln) not found");
        string hostDir = Path.Combine(dir.FullName, "services", "Platform.Host", "bin", config, "net10.0");
        if (!File.Exists(Path.Combine(hostDir, "Platform.Host.dll")))
            throw new InvalidOperationException($"build the host first: {hostDir}/Platform.Host.dll missing");
        return hostDir;
    }
}
