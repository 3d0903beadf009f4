using System.ComponentModel.DataAnnotations;
using InferenceScheduler.Domain.Live;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application.Live;

/// <summary>Live serving across replicas (section "Platform:Live").</summary>
public sealed class LiveServingOptions
{
    public const string Section = "Platform:Live";
    public const string CaPathSetting = Section + ":ForwardingCaPath";
    public const string AcceptAnySetting = Section + ":ForwardingAcceptAnyCertificate";

    /// <summary>
    /// The gRPC address other replicas reach this process at, recorded as the owner of the deployments it creates
    /// (e.g. http://10.0.0.7:5280 or the pod's service address). Unset: Kestrel:Endpoints:Grpc:Url, with a wildcard
    /// host (*, +, 0.0.0.0, [::]) replaced by this machine's host name.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Seconds between two renewals of this process's deployments in the store (default 5).</summary>
    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>A deployment not renewed for this many seconds has lost its owner (default 20; above the
    /// heartbeat).</summary>
    [Range(2, 86400)]
    public int OwnerTimeoutSeconds { get; set; } = 20;

    /// <summary>A PEM (or DER) file of the authorities whose certificates a replica accepts from the owners it
    /// forwards to over https, beside the system store and this host's own certificate (<see cref="ForwardingTrust"/>);
    /// read at start, which fails naming this setting if the file holds no certificate.</summary>
    public string? ForwardingCaPath { get; set; }

    /// <summary>Development only: forwarded calls accept any certificate (a warning is logged at start).</summary>
    public bool ForwardingAcceptAnyCertificate { get; set; }

    /// <summary>Priority of the deployments' replica threads: Highest (default; on Linux the lowest nice value the
    /// process is allowed, −20 with CAP_SYS_NICE, else unchanged) or Normal (docs/SERVING.md).</summary>
    public ReplicaThreadPriority ReplicaThreadPriority { get; set; } = ReplicaThreadPriority.Highest;
}

/// <summary>This process as the owner of live deployments: a new instance id at each start, its advertised address,
/// and the rule that says another owner is gone.</summary>
public sealed class LiveOwnership(string address, TimeSpan ownerTimeout)
{
    public string Instance { get; } = Guid.NewGuid().ToString("N");
    public string Address { get; } = address;
    public TimeSpan OwnerTimeout { get; } = ownerTimeout;

    /// <summary>The owner of <paramref name="d"/> is gone: its heartbeat is older than the timeout, or it was a
    /// previous process at this process's own address.</summary>
    public bool IsGone(StoredDeployment d) => d.OwnerInstance != Instance
        && (string.Equals(d.OwnerAddress, Address, StringComparison.OrdinalIgnoreCase)
            || DateTimeOffset.UtcNow - d.HeartbeatAt > OwnerTimeout);

    /// <summary>The address from the options, or Kestrel's gRPC endpoint with a wildcard host made concrete.</summary>
    public static string Resolve(string? advertised, string? grpcUrl)
    {
        if (!string.IsNullOrWhiteSpace(advertised)) return advertised.Trim().TrimEnd('/');
        if (string.IsNullOrWhiteSpace(grpcUrl)) return $"http://{System.Net.Dns.GetHostName()}:5280";
        string url = grpcUrl.Split(';')[0].Trim();
        foreach (var wildcard in new[] { "://*:", "://+:", "://0.0.0.0:", "://[::]:" })
            url = url.Replace(wildcard, $"://{System.Net.Dns.GetHostName()}:", StringComparison.Ordinal);
        return url.TrimEnd('/');
    }

    /// <summary>The error for a deployment whose owner is gone or does not answer (the address is the platform's
    /// own configuration, bounded).</summary>
    public static PreconditionFailedException Unreachable(string field, DeploymentLocation d) => new(field,
        $"the live deployment runs on the replica at {Bounded(d.OwnerAddress)}, which "
        + (d.OwnerGone ? "is gone" : "does not answer")
        + "; delete it, or create it again on a running replica");

    private static string Bounded(string s) => s.Length <= 200 ? s : s[..200] + "…";
}

/// <summary>Renews this process's deployments in the store every <see cref="LiveServingOptions.HeartbeatSeconds"/>,
/// so other replicas know their owner is alive. The live-serving services (and the emulator client under them) are
/// resolved at the first renewal, not while the host starts.</summary>
public sealed class LiveHeartbeat(IServiceProvider services, LiveServingOptions options,
    ILogger<LiveHeartbeat> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.HeartbeatSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { services.GetRequiredService<LiveDeployments>().Heartbeat(); }
                catch (DependencyUnavailableException e)
                {
                    log.LogWarning("Live deployments not renewed: {Reason}", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
