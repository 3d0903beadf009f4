using Grpc.Core;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Grpc;

/// <summary>gRPC adapter of the emulator: validates, translates, delegates to the domain.</summary>
public sealed class EmulatorGrpcService(DeviceCatalog catalog, TimingModel timing) : EmulatorService.EmulatorServiceBase
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

    public override Task<EstimateOpsResponse> EstimateOps(EstimateOpsRequest request, ServerCallContext context)
    {
        var device = catalog.Get(request.Device, "device");
        if (request.Ops.Count == 0) throw new InvalidFieldException("ops", "needs at least one op");
        var response = new EstimateOpsResponse();
        double total = 0;
        for (int i = 0; i < request.Ops.Count; i++)
        {
            var t = timing.Estimate(device, ProtoMapping.ToDomain(request.Ops[i], i));
            total += t.DeviceSeconds;
            response.Timings.Add(ProtoMapping.ToProto(t));
        }
        response.TotalDeviceSeconds = total;
        return Task.FromResult(response);
    }
}
