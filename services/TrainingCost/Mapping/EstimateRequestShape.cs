using Google.Protobuf;
using Platform.Contracts.Training.V1;

namespace TrainingCost.Mapping;

/// <summary>
/// The two shapes of an <see cref="EstimateTrainingRunRequest"/>: the run's fields at the top level (the original
/// contract, fields 1-15 numbered as in <see cref="TrainingRunSpec"/>) or the whole run as <c>run</c>. The only
/// place the top-level fields become a <see cref="TrainingRunSpec"/>; the validator and the adapter both use it.
/// </summary>
public static class EstimateRequestShape
{
    /// <summary>
    /// The run given field by field at the top level of the request (every field at its default when the client
    /// used <c>run</c>). Shares the request's sub-messages; neither is changed.
    /// </summary>
    public static TrainingRunSpec TopLevelRun(EstimateTrainingRunRequest r)
    {
        var run = new TrainingRunSpec
        {
            Model = r.Model,
            TrainingTokens = r.TrainingTokens,
            SequenceLength = r.SequenceLength,
            Cluster = r.Cluster,
            Precision = r.Precision,
            PricePerAcceleratorHourUsd = r.PricePerAcceleratorHourUsd,
            PricePreset = r.PricePreset,
            Parallelism = r.Parallelism,
            GlobalBatchTokens = r.GlobalBatchTokens,
            Reliability = r.Reliability,
            Energy = r.Energy,
            Objective = r.Objective,
            MaterializedAttention = r.MaterializedAttention,
            Dropout = r.Dropout,
        };
        run.AllowedSchedules.Add(r.AllowedSchedules);
        return run;
    }

    /// <summary>
    /// The proto names of the run fields set at the top level of the request, in field order. A scalar is set when
    /// it differs from its default bit for bit (proto3 sends a NaN or -0 price on the wire), a list when non-empty.
    /// </summary>
    public static IReadOnlyList<string> TopLevelFields(EstimateTrainingRunRequest r) =>
    [
        .. EstimateTrainingRunRequest.Descriptor.Fields.InFieldNumberOrder()
            .Where(f => f.FieldNumber != EstimateTrainingRunRequest.RunFieldNumber && IsSet(f.Accessor.GetValue(r)))
            .Select(f => f.Name),
    ];

    /// <summary>Whether the run is given, in part or whole, at the top level of the request.</summary>
    public static bool HasTopLevelFields(EstimateTrainingRunRequest r) => TopLevelFields(r).Count > 0;

    private static bool IsSet(object? value) => value switch
    {
        null => false,
        System.Collections.IList list => list.Count > 0,
        IMessage => true,
        double d => BitConverter.DoubleToInt64Bits(d) != 0,
        float f => BitConverter.SingleToInt32Bits(f) != 0,
        _ => !value.Equals(Activator.CreateInstance(value.GetType())),
    };

    /// <summary>
    /// The run of a request that passed its validator, and the request field its errors nest under: <c>run</c>
    /// for the wrapped shape, none (empty) for the top-level one.
    /// </summary>
    public static (TrainingRunSpec Run, string Field) RunOf(EstimateTrainingRunRequest r) =>
        r.Run is { } run && !HasTopLevelFields(r) ? (run, TrainingProtoMapping.RunField) : (TopLevelRun(r), "");
}
