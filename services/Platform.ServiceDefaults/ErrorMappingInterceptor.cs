using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Platform.Modeling.Errors;
using Status = Google.Rpc.Status;

namespace Platform.ServiceDefaults;

/// <summary>
/// Turns domain errors into gRPC statuses with the field named: invalid input → InvalidArgument with
/// google.rpc.BadRequest field violations (one per field at fault), unknown names → NotFound, unmet preconditions →
/// FailedPrecondition, limits → ResourceExhausted; a call its caller cancelled (or whose connection closed) ends
/// Cancelled. Anything unexpected becomes Internal with a fixed message (the exception text goes to the log, never to
/// the caller).
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try { return await continuation(request, context); }
        catch (Exception e) when (e is not RpcException) { throw Map(e, context); }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { return await continuation(requestStream, context); }
        catch (Exception e) when (e is not RpcException) { throw Map(e, context); }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { await continuation(request, responseStream, context); }
        catch (Exception e) when (e is not RpcException) { throw Map(e, context); }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try { await continuation(requestStream, responseStream, context); }
        catch (Exception e) when (e is not RpcException) { throw Map(e, context); }
    }

    private RpcException Map(Exception e, ServerCallContext context)
    {
        // The caller went away or its deadline passed: a write to a completed response or an aborted connection is
        // the cancellation, not a fault of the server.
        if (context.CancellationToken.IsCancellationRequested
            && e is OperationCanceledException or InvalidOperationException or IOException)
        {
            logger.LogDebug("Cancelled {Method}: {Error}", context.Method, e.GetType().Name);
            return new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "the call was cancelled"));
        }
        if (e is PlatformException pe)
        {
            logger.LogDebug("Rejected {Method}: {Field} {Reason}", context.Method,
                Bound(pe.Field, MaxFieldChars), Bound(pe.Reason, MaxDescriptionChars));
            return ToRpcException(pe);
        }
        logger.LogError(e, "Unhandled error in {Method}", context.Method);
        return new RpcException(
            new Grpc.Core.Status(StatusCode.Internal, "internal error; the server log has the details"));
    }

    /// <summary>The gRPC form of a domain error; also used by adapters that report errors themselves.</summary>
    public static RpcException ToRpcException(PlatformException pe)
    {
        var (code, detail) = pe switch
        {
            InvalidFieldException invalid => (Code.InvalidArgument, Any.Pack(new BadRequest
            {
                FieldViolations =
                {
                    invalid.Violations.Take(MaxViolations).Select(v => new BadRequest.Types.FieldViolation
                    {
                        Field = Bound(v.Field, MaxFieldChars), Description = Bound(v.Reason, MaxDescriptionChars),
                    }),
                },
            })),
            NotFoundException nf => (Code.NotFound, Any.Pack(new ResourceInfo
            {
                ResourceType = nf.Kind, ResourceName = nf.Name, Description = Bound(pe.Message, MaxDescriptionChars),
            })),
            PreconditionFailedException => (Code.FailedPrecondition, Any.Pack(new PreconditionFailure
            {
                Violations =
                {
                    new PreconditionFailure.Types.Violation
                    {
                        Type = "PRECONDITION", Subject = Bound(pe.Field, MaxFieldChars),
                        Description = Bound(pe.Reason, MaxDescriptionChars),
                    },
                },
            })),
            LimitExceededException => (Code.ResourceExhausted, Any.Pack(new QuotaFailure
            {
                Violations =
                {
                    new QuotaFailure.Types.Violation
                    {
                        Subject = Bound(pe.Field, MaxFieldChars), Description = Bound(pe.Reason, MaxDescriptionChars),
                    },
                },
            })),
            DependencyUnavailableException => (Code.Unavailable, Any.Pack(new ErrorInfo
            {
                Reason = "DEPENDENCY_UNAVAILABLE", Domain = "platform", Metadata = { ["dependency"] = pe.Field },
            })),
            _ => (Code.InvalidArgument, Any.Pack(new BadRequest())),
        };
        var status = new Status
        {
            Code = (int)code, Message = Bound(MessageOf(pe), MaxMessageChars), Details = { detail },
        };
        return status.ToRpcException();
    }

    /// <summary>
    /// The message with each field path as the proto and as JSON (REST, proto3 JSON clients) spell it:
    /// "run.training_tokens (run.trainingTokens): is required". Violations keep the proto path alone.
    /// </summary>
    private static string MessageOf(PlatformException pe)
    {
        if (pe is InvalidFieldException invalid)
        {
            const int shown = 10;
            string text = string.Join("; ", invalid.Violations.Take(shown)
                .Select(v => $"{BothNames(Bound(v.Field, MaxFieldChars))}: {v.Reason}"));
            return invalid.Violations.Count > shown ? $"{text}; and {invalid.Violations.Count - shown} more" : text;
        }
        return pe.Field.Length > 0 && pe.Message.StartsWith(pe.Field + ": ", StringComparison.Ordinal)
            ? BothNames(Bound(pe.Field, MaxFieldChars)) + pe.Message[pe.Field.Length..]
            : pe.Message;
    }

    /// <summary>"target_requests_per_second (targetRequestsPerSecond)"; a path both spell alike once.</summary>
    public static string BothNames(string field)
    {
        var json = new System.Text.StringBuilder(field.Length);
        bool upper = false;
        int brackets = 0;
        foreach (char c in field)
        {
            if (c == '[') brackets++;
            else if (c == ']') brackets = Math.Max(0, brackets - 1);
            if (c == '_' && brackets == 0) { upper = true; continue; }
            json.Append(upper && char.IsAsciiLetterLower(c) ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        string camel = json.ToString();
        return camel == field ? field : $"{field} ({camel})";
    }

    /// <summary>Most characters of the grpc-message trailer (HTTP/2 peers reject large headers).</summary>
    public const int MaxMessageChars = 1024;
    private const int MaxDescriptionChars = 512;
    private const int MaxFieldChars = 200;
    private const int MaxViolations = 50;

    /// <summary><paramref name="s"/> cut to <paramref name="max"/> characters, saying so.</summary>
    private static string Bound(string s, int max)
    {
        if (s.Length <= max) return s;
        string suffix = $"… ({s.Length:N0} characters)";
        return string.Concat(s.AsSpan(0, max - suffix.Length), suffix);
    }
}
