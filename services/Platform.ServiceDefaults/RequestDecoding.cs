using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Platform.Modeling.Errors;

namespace Platform.ServiceDefaults;

/// <summary>
/// Requests that are not valid protobuf answer InvalidArgument ("the request is not a valid
/// platform.x.v1.FooRequest protobuf message") with one bounded Warning line and no stack trace, instead of
/// Unknown and an Error with the parser's stack: grpc-dotnet decodes a request before any interceptor runs, so the
/// request marshaller of every method is wrapped when the services are bound. Applies to every service the host
/// maps (the platform's, health, reflection) and to streamed requests.
/// </summary>
public static class RequestDecoding
{
    /// <summary>
    /// Binds gRPC services with decoding-checked request marshallers in place of grpc-dotnet's own binder (which
    /// is removed, so each method is mapped once).
    /// </summary>
    public static IServiceCollection AddGrpcRequestDecoding(this IServiceCollection services)
    {
        services.AddGrpc(); // idempotent; makes sure grpc-dotnet's provider is registered before it is replaced
        foreach (var d in services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType is { IsGenericTypeDefinition: true, Name: "BinderServiceMethodProvider`1" })
            .ToList())
            services.Remove(d);
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(DecodingServiceMethodProvider<>)));
        // gRPC's per-message limits (Platform:MaxMessageBytes, Emulator:MaxMessageBytes) bound a request, refusing a
        // larger one as ResourceExhausted before it is read. Kestrel's own body limit (30 MB) would instead fail a
        // call under a larger message limit with Unknown and an Error with a stack trace.
        services.Configure<KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = null);
        return services;
    }

    /// <summary>Most characters of the parser's reason a log line carries.</summary>
    internal const int MaxReasonChars = 200;

    /// <summary>
    /// <paramref name="marshaller"/> whose deserializer turns a decoding failure into InvalidArgument naming the
    /// message type, logging one Warning line for <paramref name="fullMethod"/>.
    /// </summary>
    public static Marshaller<T> Checked<T>(Marshaller<T> marshaller, string fullMethod, ILogger logger)
    {
        string type = MessageName(typeof(T));
        var deserialize = marshaller.ContextualDeserializer;
        return new Marshaller<T>(marshaller.ContextualSerializer, context =>
        {
            try
            {
                return deserialize(context);
            }
            catch (Exception e) when (e is not RpcException and not OperationCanceledException)
            {
                string reason = PlatformException.Quote(e.Message, MaxReasonChars);
                logger.LogWarning(
                    "Rejected {Method}: a request of {Bytes} bytes is not a valid {MessageType} ({Reason})",
                    fullMethod, context.PayloadLength, type, reason);
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"the request is not a valid {type} protobuf message"));
            }
        });
    }

    private static string MessageName(Type type)
    {
        try
        {
            if (typeof(IMessage).IsAssignableFrom(type) && Activator.CreateInstance(type) is IMessage m)
                return m.Descriptor.FullName;
        }
        catch (MissingMethodException) { }
        return type.Name;
    }
}

/// <summary>
/// Discovers a service's methods through its generated static BindService(ServiceBinderBase, TServiceBase), as
/// grpc-dotnet does, binding each with a checked request marshaller (<see cref="RequestDecoding.Checked{T}"/>).
/// </summary>
internal sealed class DecodingServiceMethodProvider<TService>(ILoggerFactory loggers)
    : IServiceMethodProvider<TService> where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var bind = FindBindMethod(typeof(TService));
        if (bind is null) return;
        var binder = new Binder(context, bind.GetParameters()[1].ParameterType,
            loggers.CreateLogger(typeof(RequestDecoding).FullName!));
        try { bind.Invoke(null, [binder, null]); }
        catch (TargetInvocationException e)
        {
            throw new InvalidOperationException($"Error binding gRPC service '{typeof(TService).Name}'.",
                e.InnerException ?? e);
        }
    }

    /// <summary>The generated BindService(ServiceBinderBase, TServiceBase) named by [BindServiceMethod].</summary>
    private static MethodInfo? FindBindMethod(Type service)
    {
        for (Type? t = service; t is not null; t = t.BaseType)
        {
            var attribute = t.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false);
            if (attribute is null) continue;
            return attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.Static,
                null, [typeof(ServiceBinderBase), t], null);
        }
        return null;
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type declaringType, ILogger logger)
        : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name,
                [typeof(TRequest), typeof(ServerCallContext)]);
            context.AddUnaryMethod(Checked(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)]);
            context.AddClientStreamingMethod(Checked(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name, [typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)]);
            context.AddServerStreamingMethod(Checked(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(
                method.Name,
                [typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>),
                    typeof(ServerCallContext)]);
            context.AddDuplexStreamingMethod(Checked(method), metadata, invoker);
        }

        private Method<TRequest, TResponse> Checked<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
            new(method.Type, method.ServiceName, method.Name,
                RequestDecoding.Checked(method.RequestMarshaller, method.FullName, logger), method.ResponseMarshaller);

        /// <summary>
        /// An open delegate to the service's override of <paramref name="name"/>, with the endpoint metadata
        /// grpc-dotnet gives it (the service type's attributes, then the method's, then POST with CORS preflight).
        /// </summary>
        private (TDelegate Invoker, List<object> Metadata) Handler<TDelegate>(string name, Type[] parameters)
            where TDelegate : Delegate
        {
            var method = FindOverride(name, parameters)
                ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(method.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), method), metadata);
        }

        private MethodInfo? FindOverride(string name, Type[] parameters)
        {
            for (Type? t = typeof(TService); t is not null; t = t.BaseType)
            {
                var m = t.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, null, parameters, null);
                if (m is null) return null;
                if (m.IsVirtual && m.GetBaseDefinition().DeclaringType == declaringType) return m;
            }
            return null;
        }
    }
}
