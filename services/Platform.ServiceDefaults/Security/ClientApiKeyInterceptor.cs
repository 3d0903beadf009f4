using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// Adds this host's API key (Auth:ClientApiKey) to the calls it makes to another role, so role-to-role calls pass
/// that role's authentication. Without a key configured calls go out as they are.
/// </summary>
public sealed class ClientApiKeyInterceptor(IOptions<AuthOptions> auth) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    private ClientInterceptorContext<TRequest, TResponse> WithKey<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class
    {
        string? key = auth.Value.ClientApiKey;
        if (string.IsNullOrEmpty(key)) return context;
        var headers = context.Options.Headers ?? [];
        headers.Add(ApiKeyAuthenticationHandler.Header, key);
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host,
            context.Options.WithHeaders(headers));
    }
}
