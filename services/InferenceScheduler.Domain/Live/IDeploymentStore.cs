namespace InferenceScheduler.Domain.Live;

/// <summary>
/// A live deployment as stored with the platform's other state: its name, the settings it was created from and what
/// it reported at creation (opaque bytes the adapter encodes), and which host process runs its scheduler: the
/// process's advertised gRPC address and its instance id (new at each start). The owner refreshes
/// <see cref="HeartbeatAt"/> while it runs; times are UTC.
/// </summary>
public sealed record StoredDeployment(string Name, byte[] Spec, byte[] Snapshot, string OwnerAddress,
    string OwnerInstance, DateTimeOffset CreatedAt, DateTimeOffset HeartbeatAt);

/// <summary>
/// Where live deployments are recorded so that every replica lists them and finds their owner (a port: the database
/// adapter implements it in infrastructure; without a database an in-process table does). A store that cannot be
/// reached throws <see cref="Platform.Modeling.Errors.DependencyUnavailableException"/>.
/// </summary>
public interface IDeploymentStore
{
    /// <summary>Records <paramref name="deployment"/> unless its name is taken: null when recorded, else the
    /// deployment already stored under that name.</summary>
    StoredDeployment? TryAdd(StoredDeployment deployment);

    /// <summary>Replaces the deployment of that name only while <paramref name="previousOwnerInstance"/> still owns
    /// it (a replica taking over the deployment of a process that is gone); false when another got there
    /// first.</summary>
    bool TakeOver(StoredDeployment deployment, string previousOwnerInstance);

    StoredDeployment? Find(string name);

    /// <summary>Every stored deployment by name, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<StoredDeployment> List(int limit);

    /// <summary>Marks every deployment <paramref name="ownerInstance"/> owns as alive at
    /// <paramref name="at"/>.</summary>
    void Heartbeat(string ownerInstance, DateTimeOffset at);

    /// <summary>Removes the deployment of that name when <paramref name="ownerInstance"/> owns it (null: whoever
    /// does); false when there was none.</summary>
    bool Remove(string name, string? ownerInstance);
}
