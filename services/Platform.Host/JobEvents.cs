using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Platform.Contracts.Jobs.V1;
using Platform.Jobs;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Jobs;
using Platform.ServiceDefaults.Security;

namespace Platform.Host;

/// <summary>
/// GET /api/v1/jobs/{jobId}/events: JobService.WatchJob as server-sent events, for browsers (they cannot call a gRPC
/// server stream, and the REST routes transcode unary methods only). A thin adapter over the same watch: each event's
/// data is a WatchJobResponse in proto3 JSON — the current snapshot first, then every change until the job finishes,
/// when the stream ends. Same authorization (read scope), limit (Jobs:MaxConcurrentWatches) and errors: before the
/// stream a google.rpc.Status with the HTTP status the REST routes use; during it (the host stopping) an
/// <c>event: error</c> carrying the status.
/// </summary>
public static class JobEvents
{
    public const string Route = "/api/v1/jobs/{jobId}/events";

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true)
        .WithTypeRegistry(TypeRegistry.FromFiles(Google.Rpc.ErrorDetailsReflection.Descriptor)));

    public static WebApplication MapJobEvents(this WebApplication app)
    {
        app.MapGet(Route, StreamAsync).RequireAuthorization(PlatformScopes.ReadPolicy).ExcludeFromDescription();
        return app;
    }

    private static async Task StreamAsync(string jobId, HttpContext http, JobStore jobs,
        IHostApplicationLifetime lifetime)
    {
        var call = http.RequestAborted;
        try
        {
            var id = JobProtoMapping.ParseJobId(jobId);
            await JobGrpcService.Watch(jobs, id, async (job, ct) =>
            {
                if (!http.Response.HasStarted)
                {
                    http.Response.ContentType = "text/event-stream";
                    http.Response.Headers.CacheControl = "no-cache";
                    http.Response.Headers["X-Accel-Buffering"] = "no";
                }
                string data = Json.Format(new WatchJobResponse { Job = JobProtoMapping.ToProto(job) });
                await http.Response.WriteAsync($"data: {data}\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }, call, lifetime);
        }
        catch (PlatformException e)
        {
            await FailAsync(http, ErrorMappingInterceptor.ToRpcException(e));
        }
        catch (RpcException e)
        {
            await FailAsync(http, e);
        }
        catch (OperationCanceledException) when (call.IsCancellationRequested)
        {
            // The page went away; the job runs on.
        }
    }

    private static async Task FailAsync(HttpContext http, RpcException e)
    {
        var status = e.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)e.StatusCode, Message = e.Status.Detail };
        string body = Json.Format(status);
        if (http.Response.HasStarted)
        {
            await http.Response.WriteAsync($"event: error\ndata: {body}\n\n", CancellationToken.None);
            return;
        }
        http.Response.StatusCode = HttpStatus(e.StatusCode);
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>The HTTP status gRPC JSON transcoding gives a gRPC status (google/rpc/code.proto's mapping).</summary>
    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };
}
