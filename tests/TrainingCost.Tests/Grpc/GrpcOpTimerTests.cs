using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Ops;
using TrainingCost.Domain;
using TrainingCost.Grpc;

namespace TrainingCost.Tests.Grpc;

public sealed class GrpcOpTimerTests
{
    /// <summary>An emulator client that answers 1 ms per op and counts the EstimateOps calls and ops it receives.</summary>
    private sealed class CountingClient : EmulatorService.EmulatorServiceClient
    {
        public int Calls;
        public int Ops;

        public override AsyncUnaryCall<EstimateOpsResponse> EstimateOpsAsync(EstimateOpsRequest request, CallOptions options)
        {
            Calls++;
            Ops += request.Ops.Count;
            var response = new EstimateOpsResponse();
            response.Timings.AddRange(request.Ops.Select(o => new OpTiming { Name = o.Name, DeviceSeconds = 1e-3 }));
            return new AsyncUnaryCall<EstimateOpsResponse>(Task.FromResult(response), Task.FromResult(new Metadata()),
                () => Status.DefaultSuccess, () => [], () => { });
        }
    }

    private static readonly AcceleratorSpec H800 = new() { Id = "h800", PeakBf16Tflops = 989 };

    [Fact]
    public async Task Each_distinct_shape_is_sent_to_the_emulator_once_whatever_its_label()
    {
        var client = new CountingClient();
        var timer = new GrpcOpTimer(client, new OpTimingCache());
        OpShape[] ops =
        [
            new GemmShape("q_proj", OpFormat.Bf16, 4096, 4096, 4096),
            new GemmShape("o_proj", OpFormat.Bf16, 4096, 4096, 4096), // same shape, other label
            new GemmShape("up_proj", OpFormat.Fp8, 4096, 4096, 4096),
        ];
        var first = await timer.TimeAsync(H800, ops, CancellationToken.None);
        Assert.Equal(2, first.Count);
        Assert.Equal(1, client.Calls);
        Assert.Equal(2, client.Ops);

        // A second search over the same shapes is answered from the cache.
        var second = await timer.TimeAsync(H800, ops, CancellationToken.None);
        Assert.Equal(1, client.Calls);
        Assert.Equal(1e-3, second[ops[0].Key()]);
    }

    [Fact]
    public async Task Timings_are_cached_per_device()
    {
        var client = new CountingClient();
        var timer = new GrpcOpTimer(client, new OpTimingCache());
        OpShape[] ops = [new GemmShape("g", OpFormat.Bf16, 128, 128, 128)];
        await timer.TimeAsync(H800, ops, CancellationToken.None);
        await timer.TimeAsync(H800 with { Id = "h100-sxm" }, ops, CancellationToken.None);
        Assert.Equal(2, client.Calls);
    }
}
