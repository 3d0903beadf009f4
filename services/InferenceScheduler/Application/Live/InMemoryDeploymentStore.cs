using InferenceScheduler.Domain.Live;

namespace InferenceScheduler.Application.Live;

/// <summary>The deployment store of a host without a database (Platform:Database:Provider none): this process's
/// table, so its deployments are its own.</summary>
public sealed class InMemoryDeploymentStore : IDeploymentStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredDeployment> _byName = new(StringComparer.Ordinal);

    public StoredDeployment? TryAdd(StoredDeployment deployment)
    {
        lock (_gate)
            return _byName.TryAdd(deployment.Name, deployment) ? null : _byName[deployment.Name];
    }

    public bool TakeOver(StoredDeployment deployment, string previousOwnerInstance)
    {
        lock (_gate)
        {
            if (!_byName.TryGetValue(deployment.Name, out var old) || old.OwnerInstance != previousOwnerInstance)
                return false;
            _byName[deployment.Name] = deployment;
            return true;
        }
    }

    public StoredDeployment? Find(string name)
    {
        lock (_gate) return _byName.GetValueOrDefault(name);
    }

    public IReadOnlyList<StoredDeployment> List(int limit)
    {
        lock (_gate) return [.. _byName.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Take(limit)];
    }

    public void Heartbeat(string ownerInstance, DateTimeOffset at)
    {
        lock (_gate)
            foreach (var d in _byName.Values.Where(d => d.OwnerInstance == ownerInstance).ToList())
                _byName[d.Name] = d with { HeartbeatAt = at };
    }

    public bool Remove(string name, string? ownerInstance)
    {
        lock (_gate)
        {
            if (!_byName.TryGetValue(name, out var d)
                || (ownerInstance is not null && d.OwnerInstance != ownerInstance))
                return false;
            return _byName.Remove(name);
        }
    }
}
