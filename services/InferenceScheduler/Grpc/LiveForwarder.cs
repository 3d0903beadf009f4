using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceScheduler.Application.Live;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Grpc;

/// <summary>
/// Calls the replica that owns a live deployment (its advertised gRPC address), for both adapters: one channel per
/// owner, kept for the process's life. A forwarded call carries the caller's credentials (<c>authorization</c>,
/// <c>x-api-key</c>) and <see cref="ForwardedHeader"/>, and a replica never forwards a call it was forwarded, so a
/// stale store cannot make two replicas call each other in a loop. Over https the owner's certificate is checked by
/// <see cref="ForwardingTrust"/>; a refused one answers FAILED_PRECONDITION naming the setting that would trust it.
/// </summary>
public sealed class LiveForwarder(ForwardingTrust trust) : IDisposable
{
    public const string ForwardedHeader = "x-platform-forwarded";
    private static readonly string[] Credentials = ["authorization", "x-api-key"];
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a unary call to an owner may take (reading a deployment, deleting it).</summary>
    public static readonly TimeSpan UnaryDeadline = TimeSpan.FromSeconds(5);

    public InferenceSchedulerService.InferenceSchedulerServiceClient Client(string address) =>
        new(_channels.GetOrAdd(address, Open));

    private GrpcChannel Open(string address)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    trust.Accept(address, certificate, chain, errors),
            },
        };
        return GrpcChannel.ForAddress(address,
            new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    /// <summary>The call failed because this replica refused the owner's TLS certificate: the error to answer,
    /// naming the owner, the reason and the settings that would trust it.</summary>
    public PreconditionFailedException? CertificateRefused(RpcException e, string field, string address)
    {
        bool refused = false;
        for (var x = e.Status.DebugException; x is not null && !refused; x = x.InnerException)
            refused = x is System.Security.Authentication.AuthenticationException;
        if (!refused) return null;
        string reason = trust.Refusal(address) ?? "its certificate is not trusted";
        return new PreconditionFailedException(field,
            $"the live deployment runs on the replica at {Bounded(address)}, whose TLS certificate this replica "
            + $"refused: {reason}. Trust its issuer with {LiveServingOptions.CaPathSetting} (a PEM file of CA "
            + "certificates), or serve the same certificate on every replica (docs/OPERATIONS.md, TLS)");
    }

    private static string Bounded(string s) => s.Length <= 200 ? s : s[..200] + "…";

    /// <summary>The metadata of a forwarded call: the caller's credentials, found by
    /// <paramref name="header"/>.</summary>
    public static Metadata Headers(Func<string, string?> header)
    {
        var m = new Metadata { { ForwardedHeader, "1" } };
        foreach (var name in Credentials)
            if (header(name) is { Length: > 0 } v) m.Add(name, v);
        return m;
    }

    /// <summary>Whether the call to answer was itself forwarded by another replica.</summary>
    public static bool IsForwarded(Func<string, string?> header) => header(ForwardedHeader) is not null;

    /// <summary>The owner does not answer (no connection; for a unary call, nothing within its deadline).</summary>
    public static bool Unreachable(RpcException e, bool unary = false) => e.StatusCode == StatusCode.Unavailable
        || (unary && e.StatusCode == StatusCode.DeadlineExceeded);

    public void Dispose()
    {
        foreach (var c in _channels.Values) c.Dispose();
    }
}
