using Grpc.Core;
using Google.Protobuf;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace TrainingCost.Tests.Grpc;

/// <summary>
/// EstimateTrainingRun takes the run either field by field at the top level (the original, documented shape) or
/// wrapped as <c>run</c>: both give the same estimate, errors name the fields as the client sent them, and a request
/// that mixes the two is refused.
/// </summary>
public sealed class EstimateRequestShapeRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private TrainingCostService.TrainingCostServiceClient Client => new(factory.Channel);

    /// <summary>The published example request, exactly as documented.</summary>
    private const string Documented =
        """
        {"model":{"preset":"deepseek-v3"},"trainingTokens":"14800000000000","sequenceLength":4096,
        "cluster":{"accelerator":"h800","count":2048},"precision":"PRECISION_FP8"}
        """;

    private static EstimateTrainingRunRequest Parse(string json) =>
        JsonParser.Default.Parse<EstimateTrainingRunRequest>(json);

    /// <summary>The documented request with one more top-level field, in proto3 JSON.</summary>
    private static EstimateTrainingRunRequest DocumentedWith(string field) =>
        Parse(Documented.TrimEnd()[..^1] + "," + field + "}");

    [Fact]
    public async Task The_documented_top_level_request_and_the_same_run_wrapped_give_identical_estimates()
    {
        var flat = await Client.EstimateTrainingRunAsync(Parse(Documented));
        var wrapped = await Client.EstimateTrainingRunAsync(Parse("""{"run":""" + Documented + "}"));
        Assert.Equal(wrapped, flat);
        Assert.Equal(2048, flat.Accelerators);
        Assert.Equal("h800", flat.Accelerator);
        Assert.InRange(flat.Parameters.Total / 1e9, 670, 672); // DeepSeek-V3: 671B parameters
    }

    [Fact]
    public async Task Every_top_level_field_reaches_the_estimate_as_it_does_inside_run()
    {
        // Non-default values for fields the documented request leaves out (EstimateRequestShapeTests checks that
        // every field is carried over; here the service answers both forms alike).
        const string extra =
            """
            "pricePerAcceleratorHourUsd":3.5,"globalBatchTokens":"33554432","reliability":{"restartHours":1},
            "energy":{"pue":1.3},"objective":"PLAN_OBJECTIVE_MIN_COST","dropout":true,
            "allowedSchedules":["PIPELINE_SCHEDULE_ONE_F_ONE_B"]
            """;
        string flatJson = Documented.TrimEnd()[..^1] + "," + extra + "}";
        var flat = await Client.EstimateTrainingRunAsync(Parse(flatJson));
        var wrapped = await Client.EstimateTrainingRunAsync(Parse("""{"run":""" + flatJson + "}"));
        Assert.Equal(wrapped, flat);
        Assert.Equal(flat.AcceleratorHours * 3.5, flat.CostUsd, 1e-6 * flat.CostUsd);
        Assert.Equal(PipelineSchedule.OneFOneB, flat.Plan.PipelineSchedule);
    }

    [Fact]
    public async Task Both_shapes_at_once_are_invalid_naming_run_then_the_top_level_fields()
    {
        var request = Parse("""{"run":""" + Documented + "}");
        request.TrainingTokens = 1_000_000_000;
        request.PricePerAcceleratorHourUsd = 2;
        var violations = await GrpcAssert.InvalidFieldPath("run",
            () => Client.EstimateTrainingRunAsync(request).ResponseAsync);
        Assert.Equal(["run", "training_tokens", "price_per_accelerator_hour_usd"], violations.Select(v => v.Field));
        Assert.Contains("not both", violations[0].Description);
    }

    [Fact]
    public async Task NaN_price_at_the_top_level_is_invalid_naming_the_field_both_ways()
    {
        var e = await GrpcAssert.InvalidField("price_per_accelerator_hour_usd", () =>
            Client.EstimateTrainingRunAsync(DocumentedWith("\"pricePerAcceleratorHourUsd\":\"NaN\"")).ResponseAsync);
        Assert.Contains("pricePerAcceleratorHourUsd", e.Status.Detail);
        Assert.Contains("got NaN", e.Status.Detail);
        Assert.DoesNotContain("run.", e.Status.Detail);
    }

    [Fact]
    public async Task Top_level_errors_are_named_without_run()
    {
        var violations = await GrpcAssert.InvalidFieldPath("training_tokens", () =>
            Client.EstimateTrainingRunAsync(DocumentedWith("\"dropout\":true")
                .Also(r => { r.TrainingTokens = -5; r.Cluster.Count = 0; })).ResponseAsync);
        Assert.Equal(["training_tokens", "cluster.count"], violations.Select(v => v.Field));
    }

    [Fact]
    public async Task Top_level_unknown_accelerator_is_not_found_naming_cluster_accelerator()
    {
        var request = Parse(Documented).Also(r => r.Cluster.Accelerator = "h9000");
        var e = await GrpcAssert.FailsWith(StatusCode.NotFound, "cluster.accelerator",
            () => Client.EstimateTrainingRunAsync(request).ResponseAsync);
        Assert.DoesNotContain("run.", e.Status.Detail);
    }

    [Fact]
    public async Task An_empty_request_names_the_required_top_level_fields()
    {
        var violations = await GrpcAssert.InvalidFieldPath("model",
            () => Client.EstimateTrainingRunAsync(new EstimateTrainingRunRequest()).ResponseAsync);
        Assert.Equal(["model", "training_tokens", "sequence_length", "cluster"], violations.Select(v => v.Field));
    }
}

internal static class RequestExtensions
{
    /// <summary><paramref name="request"/> after <paramref name="change"/>.</summary>
    public static T Also<T>(this T request, Action<T> change)
    {
        change(request);
        return request;
    }
}
