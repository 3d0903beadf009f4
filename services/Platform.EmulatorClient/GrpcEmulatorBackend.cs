using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;
using Platform.Modeling.Ops;

namespace Platform.EmulatorClient;

/// <summary>
/// The emulator role over gRPC: a deadline on every call; Unavailable is retried with backoff by the channel's
/// retry policy (see <see cref="EmulatorClientExtensions"/>); what still fails is reported as the emulator being
/// unavailable, never as this role's own error.
/// </summary>
public sealed class GrpcEmulatorBackend(EmulatorService.EmulatorServiceClient client,
    IOptions<EmulatorClientOptions> options,
    EmulatorAddress address) : IEmulatorBackend
{
    private readonly EmulatorClientOptions _options = options.Value;

    public string Describe => address.Url;

    public async Task<DeviceSpec?> GetDeviceAsync(string id, CancellationToken ct)
    {
        try
        {
            var response = await client.GetDeviceAsync(new GetDeviceRequest { Id = id }, deadline: Deadline(),
                cancellationToken: ct);
            return OpSpecMapping.ToDomain(response.Device);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw new NotFoundException("id", "accelerator", id, Suggestions.Extract(e.Status.Detail));
        }
        catch (RpcException e) when (Unreachable(e)) { throw Unavailable(e); }
    }

    public async Task<IReadOnlyList<OpTime>> TimeAsync(string deviceId, IReadOnlyList<OpShape> ops, string field,
        CancellationToken ct, KernelProfile kernels = KernelProfile.Catalog)
    {
        var result = new List<OpTime>(ops.Count);
        foreach (var chunk in ops.Chunk(_options.OpsPerCall))
        {
            var request = new EstimateOpsRequest
            {
                Device = deviceId,
                Kernels = kernels == KernelProfile.Serving ? KernelSet.Serving : KernelSet.Catalog,
            };
            request.Ops.AddRange(chunk.Select(OpSpecMapping.ToProto));
            try
            {
                var response = await client.EstimateOpsAsync(request, deadline: Deadline(), cancellationToken: ct);
                result.AddRange(response.Timings.Select(OpSpecMapping.ToDomain));
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
            {
                // The emulator cannot time an op on this device (e.g. no FP8 units): a precondition of this request.
                throw new PreconditionFailedException(field, $"{deviceId} cannot run this: {Reason(e)}");
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                throw new NotFoundException(field, "accelerator", deviceId);
            }
            catch (RpcException e) when (Unreachable(e)) { throw Unavailable(e); }
        }
        return result;
    }

    public async Task<bool> IsReachableAsync(CancellationToken ct)
    {
        try
        {
            // A vendor no device has: one round trip with an empty answer.
            await client.ListDevicesAsync(new ListDevicesRequest { Vendor = "-" },
                deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct);
            return true;
        }
        catch (RpcException) { return false; }
    }

    /// <summary>The emulator's reason without its field path (the same words the in-process backend gives).</summary>
    private static string Reason(RpcException e)
    {
        var status = e.GetRpcStatus();
        return status?.GetDetail<PreconditionFailure>()?.Violations.FirstOrDefault()?.Description
            ?? status?.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault()?.Description
            ?? e.Status.Detail;
    }

    private DateTime Deadline() => DateTime.UtcNow + _options.CallTimeout;

    private static bool Unreachable(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Unimplemented
            or StatusCode.Internal or StatusCode.Unknown;

    private DependencyUnavailableException Unavailable(RpcException e) =>
        new("emulator", $"the emulator role at {address.Url} did not answer ({e.StatusCode}); "
            + "start it or set Platform__Endpoints__Emulator");
}

/// <summary>
/// Where the emulator role answers (Platform:Endpoints:Emulator, else this host's own gRPC endpoint).
/// </summary>
public sealed record EmulatorAddress(string Url);
