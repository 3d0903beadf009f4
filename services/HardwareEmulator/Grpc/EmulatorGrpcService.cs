using Google.Protobuf;
using Grpc.Core;
using MassTransit;
using Platform.Contracts.Messaging;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Domain.Profiling;
using HardwareEmulator.Domain.Timing;
using Microsoft.Extensions.Options;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Validation;
using DomainProfiledOp = HardwareEmulator.Domain.Profiling.ProfiledOp;
using Phase = Platform.Contracts.Emulator.V1.Phase;
using ProtoLayerSummary = Platform.Contracts.Emulator.V1.LayerSummary;
using ProtoProfiledOp = Platform.Contracts.Emulator.V1.ProfiledOp;

using HardwareEmulator.Mapping;
using HardwareEmulator.Mapping.Validation;
using Microsoft.AspNetCore.Authorization;
using Platform.ServiceDefaults.Security;

namespace HardwareEmulator.Grpc;

/// <summary>gRPC adapter of the emulator: validates, translates, delegates to the domain.</summary>
public sealed class EmulatorGrpcService(DeviceCatalog catalog, TimingModel timing, KernelRunner runner,
    ModelProfiler profiler, IOptions<EmulatorOptions> options, IPublishEndpoint? bus = null)
    : EmulatorService.EmulatorServiceBase
{
    public override Task<ListDevicesResponse> ListDevices(ListDevicesRequest request, ServerCallContext context)
    {
        EmulatorValidators.ListDevices.ThrowIfInvalid(request);
        var page = catalog.List(request.Vendor, DevicePageToken.PageSize(request.PageSize),
                DevicePageToken.Decode(request.PageToken));
        var response = new ListDevicesResponse { NextPageToken = DevicePageToken.Encode(page.Next) };
        foreach (var d in page.Devices) response.Devices.Add(ProtoMapping.ToProto(d));
        return Task.FromResult(response);
    }

    public override Task<GetDeviceResponse> GetDevice(GetDeviceRequest request, ServerCallContext context) =>
        Task.FromResult(new GetDeviceResponse { Device = ProtoMapping.ToProto(catalog.Get(request.Id, "id")) });

    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<RegisterDeviceResponse> RegisterDevice(RegisterDeviceRequest request,
        ServerCallContext context)
    {
        EmulatorValidators.RegisterDevice.ThrowIfInvalid(request);
        var spec = ProtoMapping.ToDomain(request.Device);
        bool added = catalog.Register(spec, CallerOwner(context));
        var stored = catalog.Get(spec.Id, "device.id");
        // Other roles cache device facts and op timings: tell them this id changed (no bus in offline tools).
        if (bus is not null) await PublishRegisteredAsync(bus, stored.Id, replaced: !added);
        return new RegisterDeviceResponse { Device = ProtoMapping.ToProto(stored) };
    }

    /// <summary>How long the bus may take a <see cref="DeviceRegistered"/> event.</summary>
    internal static readonly TimeSpan RegisteredEventTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Publishes the change of a device that is already registered. It does not follow the caller's cancellation:
    /// a caller whose deadline passes while this is sent must not leave the other roles with stale cached timings.
    /// </summary>
    private static async Task PublishRegisteredAsync(IPublishEndpoint bus, string id, bool replaced)
    {
        using var bounded = new CancellationTokenSource(RegisteredEventTimeout);
        try
        {
            await bus.Publish(new DeviceRegistered
            {
                JobId = Guid.NewGuid(), DeviceId = id, Replaced = replaced, RegisteredAt = DateTimeOffset.UtcNow,
            }, bounded.Token);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            throw new DependencyUnavailableException(BusPublisher.Dependency,
                "the device is registered, but the message bus did not take the news within " +
                $"{RegisteredEventTimeout.TotalSeconds:F0} s, so other services may keep its earlier timings; " +
                "register it again once the bus is back");
        }
    }

    /// <summary>
    /// Who registers a device, for the per-owner cap. The platform has no authentication yet, so a caller is its
    /// client IP address (the connection's remote address; the gRPC peer string without its port otherwise).
    /// </summary>
    internal static string CallerOwner(ServerCallContext context)
    {
        System.Net.IPAddress? ip = null;
        try { ip = context.GetHttpContext().Connection.RemoteIpAddress; }
        catch (InvalidOperationException) { } // not hosted by ASP.NET Core (a test's context): the peer string
        if (ip is not null) return (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
        string peer = context.Peer ?? "";
        int port = peer.LastIndexOf(':');
        return port > 0 && peer.IndexOf(':') != port ? peer[..port] : peer;
    }

    public override Task<EstimateOpsResponse> EstimateOps(EstimateOpsRequest request, ServerCallContext context) =>
        Task.FromResult(Estimate(request, context.CancellationToken));

    /// <summary>
    /// The EstimateOps fast path (also what the benchmark measures). The validator checks the request (device, op
    /// count); each op is checked inline as it is timed, and only when one is bad does the validator's per-op rule set
    /// run, so the error names every bad op rather than the first.
    /// </summary>
    public EstimateOpsResponse Estimate(EstimateOpsRequest request, CancellationToken ct = default)
    {
        var validator = EmulatorValidators.EstimateOps(options.Value.MaxOpsPerRequest);
        validator.ThrowIfInvalid(request);
        var device = catalog.Get(request.Device, "device");
        int count = request.Ops.Count;
        var t = timing.For(device,
            request.Kernels == KernelSet.Serving ? TimingProfile.Serving : TimingProfile.Catalog);
        var response = new EstimateOpsResponse();
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            if ((i & 1023) == 0) ct.ThrowIfCancellationRequested();
            OpTiming timingProto;
            try { timingProto = ProtoMapping.Estimate(t, request.Ops[i], i); }
            catch (InvalidFieldException) when (AllBadOps(validator, request) is { } all) { throw all; }
            total += timingProto.DeviceSeconds;
            response.Timings.Add(timingProto);
        }
        response.TotalDeviceSeconds = total;
        return response;
    }

    /// <summary>
    /// Every bad op of the request (null if the per-op rules find none: the inline check's error stands).
    /// </summary>
    private static PlatformException? AllBadOps(EstimateOpsRequestValidator validator, EstimateOpsRequest request)
    {
        var result = validator.ValidateOps(request);
        return result.IsValid ? null : ValidationExtensions.ToException(result);
    }

    public override Task<RunKernelResponse> RunKernel(RunKernelRequest request, ServerCallContext context) =>
        Task.FromResult(KernelMapping.Run(request, catalog, runner, options.Value, context.CancellationToken));

    public override Task<ProfileModelResponse> ProfileModel(ProfileModelRequest request, ServerCallContext context)
    {
        EmulatorValidators.ProfileModel.ThrowIfInvalid(request);
        var device = catalog.Get(request.Device, "device");
        var model = ModelSpecMapper.Resolve(request.Model, "model");
        // The profile's trace has an event per op of every layer: the layer count bounds its size.
        int maxLayers = options.Value.MaxProfileLayers;
        if (model.NumLayers > maxLayers)
            throw new LimitExceededException("model",
                $"the model has {model.NumLayers:N0} layers, more than Emulator:MaxProfileLayers = {maxLayers:N0}",
                model.NumLayers, maxLayers);
        var phase = request.Phase switch
        {
            Phase.Prefill => InferencePhase.Prefill,
            Phase.Decode => InferencePhase.Decode,
            _ => throw new ArgumentException("the request was not validated: phase is missing", nameof(request)),
        };
        var dtype = request.Dtype == Dtype.Unspecified ? DataType.Bf16 : OpSpecMapping.ToDomain(request.Dtype, "dtype");
        var profile = profiler.Profile(device, new ProfileRequest(model, phase, request.Batch, request.SequenceLength,
            Math.Max(1, request.TensorParallel), Math.Max(1, request.ExpertParallel),
            Math.Max(1, request.PipelineParallel), dtype));
        var response = new ProfileModelResponse
        {
            TotalDeviceSeconds = profile.TotalSeconds,
            TotalFlops = profile.TotalFlops,
            CommunicationFraction = profile.TotalSeconds > 0 ? profile.CommunicationSeconds / profile.TotalSeconds : 0,
            AchievedTflops = profile.TotalSeconds > 0 ? profile.TotalFlops / profile.TotalSeconds / 1e12 : 0,
            ChromeTraceJson = profile.ChromeTraceJson,
        };
        foreach (DomainProfiledOp op in profile.Ops)
            response.Ops.Add(new ProtoProfiledOp
            {
                LayerKind = op.LayerKind, OpKind = op.OpKind, Shape = op.Shape,
                Timing = OpSpecMapping.ToProto(op.Name, op.Time),
            });
        foreach (var l in profile.Layers)
            response.Layers.Add(new ProtoLayerSummary
            {
                LayerKind = l.LayerKind, Count = l.Count, DeviceSecondsPerLayer = l.SecondsPerLayer,
                FlopsPerLayer = l.FlopsPerLayer,
            });
        return Task.FromResult(response);
    }
}
