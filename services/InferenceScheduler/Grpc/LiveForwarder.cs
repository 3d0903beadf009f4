using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceScheduler.Application.Live;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Grpc;

/// <summary>
/// Calls the replica that owns a live deployment (its advertised gRPC address), for both adapters: one channel per
/// owner, kept for the process's life. A forwarded call carries the caller's credentials (<c>authorization</c>,
/// <c>x-api-key</c>) and <see cref="ForwardedHeader"/>, and a replica never forwards a call it was forwarded, so a
/// stale store cannot make two replicas call each other in a loop.
/// </summary>
public sealed class LiveForwarder : IDisposable
{
    public const string ForwardedHeader = "x-platform-forwarded";
    private static readonly string[] Credentials = ["authorization", "x-api-key"];
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a unary call to an owner may take (reading a deployment, deleting it).</summary>
    public static readonly TimeSpan UnaryDeadline = TimeSpan.FromSeconds(5);

    public InferenceSchedulerService.InferenceSchedulerServiceClient Client(string address) =>
        new(_channels.GetOrAdd(address, a => GrpcChannel.ForAddress(a)));

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
