using Google.Protobuf.Reflection;
using Platform.Contracts.Training.V1;

namespace Platform.Contracts.Tests;

/// <summary>
/// EstimateTrainingRunRequest keeps the original top-level contract on the wire: clients built on it (binary gRPC
/// or proto3 JSON) send fields 1-15 under these names and numbers, which read as the same run as TrainingRunSpec.
/// </summary>
public sealed class TrainingWireContractTests
{
    /// <summary>The published top-level fields of EstimateTrainingRunRequest, by field number.</summary>
    private static readonly string[] Original =
    [
        "model", "training_tokens", "sequence_length", "cluster", "precision", "price_per_accelerator_hour_usd",
        "price_preset", "parallelism", "global_batch_tokens", "reliability", "energy", "objective",
        "materialized_attention", "allowed_schedules", "dropout",
    ];

    [Fact]
    public void Estimate_request_fields_1_to_15_keep_their_original_names_and_numbers()
    {
        var fields = EstimateTrainingRunRequest.Descriptor.Fields;
        for (int number = 1; number <= Original.Length; number++)
            Assert.Equal(Original[number - 1], fields[number]?.Name);
        var run = fields[EstimateTrainingRunRequest.RunFieldNumber];
        Assert.Equal(16, run.FieldNumber);
        Assert.Equal(TrainingRunSpec.Descriptor, run.MessageType);
        Assert.Equal(Original.Length + 1, fields.InFieldNumberOrder().Count);
    }

    [Fact]
    public void Each_top_level_field_matches_the_training_run_spec_field_of_the_same_number()
    {
        foreach (var f in EstimateTrainingRunRequest.Descriptor.Fields.InFieldNumberOrder()
            .Where(f => f.FieldNumber != EstimateTrainingRunRequest.RunFieldNumber))
        {
            var spec = TrainingRunSpec.Descriptor.FindFieldByNumber(f.FieldNumber);
            Assert.NotNull(spec);
            Assert.Equal((f.Name, f.FieldType, f.IsRepeated), (spec.Name, spec.FieldType, spec.IsRepeated));
            Assert.Equal(Full(f), Full(spec));
        }
    }

    private static string? Full(FieldDescriptor f) => f.FieldType switch
    {
        FieldType.Message => f.MessageType.FullName,
        FieldType.Enum => f.EnumType.FullName,
        _ => null,
    };
}
