using System.Reflection;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Domain.Profiling;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Grpc;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Messaging;
using Platform.Testing;

namespace HardwareEmulator.Tests.Grpc;

/// <summary>
/// A registered device's change reaches the other services (they cache its timings) even when the caller's deadline
/// passes while the news is sent.
/// </summary>
public sealed class DeviceRegisteredEventTests
{
    /// <summary>Records what is published and whether the token it was given had been cancelled.</summary>
    public class RecordingBus : DispatchProxy
    {
        public List<(object Message, bool Cancelled)> Published { get; } = [];

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name != "Publish") throw new NotSupportedException(method.Name);
            var ct = (CancellationToken)args!.Last(a => a is CancellationToken)!;
            Published.Add((args![0]!, ct.IsCancellationRequested));
            return ct.IsCancellationRequested ? Task.FromCanceled(ct) : Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_caller_gone_while_the_device_registers_still_publishes_the_change()
    {
        var publish = DispatchProxy.Create<IPublishEndpoint, RecordingBus>();
        var bus = (RecordingBus)(object)publish;
        var model = new TimingModel();
        var options = new EmulatorOptions();
        var service = new EmulatorGrpcService(new DeviceCatalog(), model, new KernelRunner(model, options),
            new ModelProfiler(model), Options.Create(options), publish);
        var device = new Device
        {
            Id = "what-if-h800", PeakTflops = new DtypePeaks { Bf16 = 989.4, Fp16 = 989.4, Fp8 = 1978.9, Fp32 = 67 },
            HbmGb = 141, HbmTbps = 4.8, ScaleUpGbps = 200, ScaleOutGbps = 50, ComputeUnits = 132,
        };
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();

        var response = await service.RegisterDevice(new RegisterDeviceRequest { Device = device },
            new TestCallContext(gone.Token, "/platform.emulator.v1.EmulatorService/RegisterDevice"));

        Assert.Equal("what-if-h800", response.Device.Id);
        var (message, cancelled) = Assert.Single(bus.Published);
        Assert.Equal("what-if-h800", Assert.IsType<DeviceRegistered>(message).DeviceId);
        Assert.False(cancelled);
    }
}
