using Platform.Modeling.Ops;

namespace TrainingCost.Domain;

/// <summary>
/// Device time of operations at given shapes (the emulator's EstimateOps). Implementations cache per distinct
/// shape, so plan search asks once per shape, not once per plan. Keys are <see cref="OpShape.Key()"/>.
/// </summary>
public interface IOpTimer
{
    /// <summary>Seconds per op (by <see cref="OpShape.Key()"/>) on <paramref name="device"/>.</summary>
    Task<IReadOnlyDictionary<OpShape, double>> TimeAsync(AcceleratorSpec device, IReadOnlyCollection<OpShape> ops, CancellationToken ct);
}
