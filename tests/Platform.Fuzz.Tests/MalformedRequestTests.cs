using Grpc.Health.V1;
using Serilog.Events;

namespace Platform.Fuzz.Tests;

/// <summary>
/// A request that is not valid protobuf answers InvalidArgument naming the expected message type, with one short
/// Warning line and no stack trace: for unary, client-streaming and server-streaming RPCs and the health service.
/// </summary>
public sealed class MalformedRequestTests(FuzzFactory factory) : IClassFixture<FuzzFactory>
{
    /// <summary>Field 1, length-delimited, claiming 255 bytes of which none follow.</summary>
    private static readonly byte[] Truncated = [0x0A, 0xFF, 0x01];

    private static Method<byte[], byte[]> Raw(MethodType type, string service, string name) =>
        new(type, service, name, Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

    [Theory]
    [InlineData("platform.emulator.v1.EmulatorService", "GetDevice", "platform.emulator.v1.GetDeviceRequest")]
    [InlineData("platform.training.v1.TrainingCostService", "EstimateTrainingRun",
        "platform.training.v1.EstimateTrainingRunRequest")]
    [InlineData("platform.inference.v1.InferenceSchedulerService", "SimulateWorkload",
        "platform.inference.v1.SimulateWorkloadRequest")]
    [InlineData("grpc.health.v1.Health", "Check", "grpc.health.v1.HealthCheckRequest")]
    public async Task Unary_call_with_a_malformed_payload_is_InvalidArgument_with_one_warning(string service,
        string method, string type)
    {
        var logs = factory.Logs.Since();
        var e = await Assert.ThrowsAsync<RpcException>(() => factory.Channel.CreateCallInvoker()
            .AsyncUnaryCall(Raw(MethodType.Unary, service, method), null, new CallOptions(), Truncated)
            .ResponseAsync);
        AssertRejected(e, type, logs().Recent, $"/{service}/{method}");
    }

    [Fact]
    public async Task Client_streaming_call_with_a_malformed_message_is_InvalidArgument_with_one_warning()
    {
        var logs = factory.Logs.Since();
        using var call = factory.Channel.CreateCallInvoker().AsyncClientStreamingCall(
            Raw(MethodType.ClientStreaming, "platform.inference.v1.InferenceSchedulerService",
                "SimulateUploadedTrace"), null, new CallOptions());
        await call.RequestStream.WriteAsync(Truncated);
        await call.RequestStream.CompleteAsync();
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        AssertRejected(e, "platform.inference.v1.SimulateUploadedTraceRequest", logs().Recent,
            "/platform.inference.v1.InferenceSchedulerService/SimulateUploadedTrace");
    }

    [Fact]
    public async Task Server_streaming_call_with_a_malformed_request_is_InvalidArgument_with_one_warning()
    {
        var logs = factory.Logs.Since();
        using var call = factory.Channel.CreateCallInvoker().AsyncServerStreamingCall(
            Raw(MethodType.ServerStreaming, "platform.inference.v1.InferenceSchedulerService", "StreamSimulation"),
            null, new CallOptions(), Truncated);
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        AssertRejected(e, "platform.inference.v1.StreamSimulationRequest", logs().Recent,
            "/platform.inference.v1.InferenceSchedulerService/StreamSimulation");
    }

    [Fact]
    public async Task A_request_over_the_message_limit_is_ResourceExhausted_before_it_is_read()
    {
        var logs = factory.Logs.Since();
        var payload = new byte[Platform.ServiceDefaults.ServiceDefaultsExtensions.DefaultMaxMessageBytes + 1];
        var e = await Assert.ThrowsAsync<RpcException>(() => factory.Channel.CreateCallInvoker()
            .AsyncUnaryCall(Raw(MethodType.Unary, "platform.training.v1.TrainingCostService", "ComputeOptimal"), null,
                new CallOptions(), payload).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.DoesNotContain(logs().Recent, l => l.Level >= LogEventLevel.Error || l.HasException);
    }

    [Fact]
    public async Task Well_formed_requests_still_work()
    {
        var health = await new Health.HealthClient(factory.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    private static void AssertRejected(RpcException e, string type, IReadOnlyList<LoggedLine> lines, string method)
    {
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal($"the request is not a valid {type} protobuf message", e.Status.Detail);
        Assert.DoesNotContain(lines, l => l.Level >= LogEventLevel.Error || l.HasException);
        var warning = Assert.Single(lines, l => l.Level == LogEventLevel.Warning && l.Text.Contains(method));
        Assert.Contains(type, warning.Text);
        Assert.True(warning.Text.Length <= 500, warning.Text);
    }
}
