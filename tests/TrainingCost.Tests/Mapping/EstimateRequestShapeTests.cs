using Google.Protobuf;
using Platform.Contracts.Training.V1;
using TrainingCost.Mapping;

namespace TrainingCost.Tests.Mapping;

public sealed class EstimateRequestShapeTests
{
    /// <summary>Every run field of the request set to a value other than its default.</summary>
    private const string EveryTopLevelField =
        """
        {"model":{"preset":"llama-3.1-8b"},"trainingTokens":"1000000000000","sequenceLength":"8192",
         "cluster":{"accelerator":"h100-sxm","count":"64"},"precision":"PRECISION_FP8",
         "pricePerAcceleratorHourUsd":2.5,"pricePreset":"PRICE_PRESET_LOW","parallelism":{"tensorParallel":8},
         "globalBatchTokens":"4194304","reliability":{"restartHours":0.5},"energy":{"pue":1.2},
         "objective":"PLAN_OBJECTIVE_MIN_COST","materializedAttention":true,
         "allowedSchedules":["PIPELINE_SCHEDULE_ONE_F_ONE_B"],"dropout":true}
        """;

    [Fact]
    public void Every_top_level_field_is_carried_into_the_run()
    {
        var request = JsonParser.Default.Parse<EstimateTrainingRunRequest>(EveryTopLevelField);
        Assert.Equal(15, EstimateRequestShape.TopLevelFields(request).Count);
        // Fields 1-15 are numbered as in TrainingRunSpec, so the request's bytes read as a TrainingRunSpec are the
        // run the client meant.
        Assert.Equal(TrainingRunSpec.Parser.ParseFrom(request.ToByteString()),
            EstimateRequestShape.TopLevelRun(request));
        var (run, field) = EstimateRequestShape.RunOf(request);
        Assert.Equal("", field);
        Assert.Equal(8192, run.SequenceLength);
    }

    [Fact]
    public void A_wrapped_run_is_taken_whole_and_nests_its_errors_under_run()
    {
        var request = new EstimateTrainingRunRequest { Run = new TrainingRunSpec { TrainingTokens = 7 } };
        Assert.Empty(EstimateRequestShape.TopLevelFields(request));
        var (run, field) = EstimateRequestShape.RunOf(request);
        Assert.Same(request.Run, run);
        Assert.Equal("run", field);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(double.NaN, true)]
    [InlineData(-0.0, true)] // proto3 sends -0 on the wire: the client gave it
    [InlineData(2.0, true)]
    public void A_price_is_given_when_it_is_not_bitwise_zero(double price, bool given)
    {
        var request = new EstimateTrainingRunRequest { PricePerAcceleratorHourUsd = price };
        Assert.Equal(given ? ["price_per_accelerator_hour_usd"] : [], EstimateRequestShape.TopLevelFields(request));
    }
}
