namespace InferenceScheduler.Messaging.Fleet;

/// <summary>
/// A distributed plan that cannot finish: a worker found the plan at fault (its error code, field and reason), or no
/// result arrived in time. The plan's job fails with it.
/// </summary>
public sealed class FleetFailure(string code, string field, string reason) : Exception(reason)
{
    public string Code { get; } = code;
    public string Field { get; } = field;
    public string Reason { get; } = reason;
}
