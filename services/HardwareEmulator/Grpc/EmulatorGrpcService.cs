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
using DomainProfiledOp = HardwareEmulator.Domain.Profiling.ProfiledOp;
using Phase = Platform.Contracts.Emulator.V1.Phase;
using ProtoLayerSummary = Platform.Contracts.Emulator.V1.LayerSummary;
using ProtoProfiledOp = Platform.Contracts.Emulator.V1.ProfiledOp;

using HardwareEmulator.Mapping;

namespace HardwareEmulator.Grpc;

/// <summary>gRPC adapter of the emulator: validates, translates, delegates to the domain.</summary>
public sealed class EmulatorGrpcService(DeviceCatalog catalog, TimingModel timing, KernelRunner runner,
    ModelProfiler profiler, IOptions<EmulatorOptions> options, IPublishEndpoint? bus = null) : EmulatorService.EmulatorServiceBase
{
    public override Task<ListDevicesResponse> ListDevices(ListDevicesRequest request, ServerCallContext context)
    {
        var response = new ListDevicesResponse();
        foreach (var d in catalog.All)
            if (string.IsNullOrEmpty(request.Vendor) || d.Vendor.Equals(request.Vendor, StringComparison.OrdinalIgnoreCase))
                response.Devices.Add(ProtoMapping.ToProto(d));
        return Task.FromResult(response);
    }

    public override Task<GetDeviceResponse> GetDevice(GetDeviceRequest request, ServerCallContext context) =>
        Task.FromResult(new GetDeviceResponse { Device = ProtoMapping.ToProto(catalog.Get(request.Id, "id")) });

    public override async Task<RegisterDeviceResponse> RegisterDevice(RegisterDeviceRequest request, ServerCallContext context)
    {
        var spec = ProtoMapping.ToDomain(request.Device);
        bool added = catalog.Register(spec);
        var stored = catalog.Get(spec.Id, "device.id");
        // Other roles cache device facts and op timings: tell them this id changed (no bus in offline tools).
        if (bus is not null) await bus.Publish(new DeviceRegistered
        {
            JobId = Guid.NewGuid(), DeviceId = stored.Id, Replaced = !added, RegisteredAt = DateTimeOffset.UtcNow,
        }, context.CancellationToken);
        return new RegisterDeviceResponse { Device = ProtoMapping.ToProto(stored) };
    }

    public override Task<EstimateOpsResponse> EstimateOps(EstimateOpsRequest request, ServerCallContext context) =>
        Task.FromResult(Estimate(request));

    /// <summary>The EstimateOps fast path (also what the benchmark measures).</summary>
    public EstimateOpsResponse Estimate(EstimateOpsRequest request)
    {
        var device = catalog.Get(request.Device, "device");
        int count = request.Ops.Count;
        if (count == 0) throw new InvalidFieldException("ops", "needs at least one op");
        if (count > options.Value.MaxOpsPerRequest)
            throw new LimitExceededException("ops", $"{count} ops exceed Emulator:MaxOpsPerRequest = {options.Value.MaxOpsPerRequest}", count, options.Value.MaxOpsPerRequest);
        var t = timing.For(device);
        var response = new EstimateOpsResponse();
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            var timingProto = ProtoMapping.Estimate(t, request.Ops[i], i);
            total += timingProto.DeviceSeconds;
            response.Timings.Add(timingProto);
        }
        response.TotalDeviceSeconds = total;
        return response;
    }

    public override Task<RunKernelResponse> RunKernel(RunKernelRequest request, ServerCallContext context) =>
        Task.FromResult(KernelMapping.Run(request, catalog, runner, options.Value));

    public override Task<ProfileModelResponse> ProfileModel(ProfileModelRequest request, ServerCallContext context)
    {
        var device = catalog.Get(request.Device, "device");
        var model = ModelSpecMapper.Resolve(request.Model, "model");
        var phase = request.Phase switch
        {
            Phase.Prefill => InferencePhase.Prefill,
            Phase.Decode => InferencePhase.Decode,
            _ => throw new InvalidFieldException("phase", "is required (PHASE_PREFILL or PHASE_DECODE)"),
        };
        var dtype = request.Dtype == Dtype.Unspecified ? DataType.Bf16 : OpSpecMapping.ToDomain(request.Dtype, "dtype");
        var profile = profiler.Profile(device, new ProfileRequest(model, phase, request.Batch, request.SequenceLength,
            Parallel(request.TensorParallel, "tensor_parallel"), Parallel(request.ExpertParallel, "expert_parallel"),
            Parallel(request.PipelineParallel, "pipeline_parallel"), dtype));
        var response = new ProfileModelResponse
        {
            TotalDeviceSeconds = profile.TotalSeconds,
            TotalFlops = profile.TotalFlops,
            CommunicationFraction = profile.TotalSeconds > 0 ? profile.CommunicationSeconds / profile.TotalSeconds : 0,
            AchievedTflops = profile.TotalSeconds > 0 ? profile.TotalFlops / profile.TotalSeconds / 1e12 : 0,
            ChromeTraceJson = profile.ChromeTraceJson,
        };
        foreach (DomainProfiledOp op in profile.Ops)
            response.Ops.Add(new ProtoProfiledOp { LayerKind = op.LayerKind, OpKind = op.OpKind, Shape = op.Shape, Timing = OpSpecMapping.ToProto(op.Name, op.Time) });
        foreach (var l in profile.Layers)
            response.Layers.Add(new ProtoLayerSummary { LayerKind = l.LayerKind, Count = l.Count, DeviceSecondsPerLayer = l.SecondsPerLayer, FlopsPerLayer = l.FlopsPerLayer });
        return Task.FromResult(response);
    }

    private static int Parallel(int value, string field) =>
        value < 0 ? throw new InvalidFieldException(field, $"must not be negative (got {value}; 0 means 1)") : Math.Max(1, value);
}
