using Google.Protobuf;
using InferenceScheduler.Domain.Live;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application.Live;

/// <summary>
/// Where a deployment runs: <see cref="Local"/> in this process, or in the owner <see cref="Stored"/> names — alive,
/// or <see cref="OwnerGone"/> (its heartbeat stopped, or its address is now this process's).
/// </summary>
public sealed record DeploymentLocation(string Name, LiveDeploymentEntry? Local, StoredDeployment? Stored,
    bool OwnerGone)
{
    /// <summary>The owner's advertised gRPC address.</summary>
    public string OwnerAddress => Stored?.OwnerAddress ?? "";

    /// <summary>What the deployment reported when it was created (for a deployment another process runs).</summary>
    public LiveDeployment Snapshot() => Stored is null ? new LiveDeployment { Name = Name }
        : LiveDeployment.Parser.ParseFrom(Stored.Snapshot);
}

public sealed partial class LiveDeployments
{
    /// <summary>Most deployments ListDeployments returns.</summary>
    public const int MaxListed = 1000;

    /// <summary>Where the deployment of that name runs, or <see cref="NotFoundException"/> on
    /// <paramref name="field"/>.</summary>
    public DeploymentLocation Locate(string name, string field)
    {
        if (TryGetLocal(name, out var local)) return Local(local!);
        var stored = store.Find(name);
        // A row this process owns but does not run: deleted (or failed to start) a moment ago.
        if (stored is null || stored.OwnerInstance == owner.Instance)
            throw new NotFoundException(field, "live deployment", name,
                "ListDeployments (or GET /v1/models) lists the deployments");
        return new DeploymentLocation(name, null, stored, owner.IsGone(stored));
    }

    /// <summary><see cref="Locate"/>, false for an unknown name.</summary>
    public bool TryLocate(string name, out DeploymentLocation? location)
    {
        try
        {
            location = Locate(name, "model");
            return true;
        }
        catch (NotFoundException)
        {
            location = null;
            return false;
        }
    }

    /// <summary>Every deployment in the store (and this process's, should the store have lost one), by
    /// name.</summary>
    public IReadOnlyList<DeploymentLocation> List()
    {
        var all = new SortedDictionary<string, DeploymentLocation>(StringComparer.Ordinal);
        foreach (var s in store.List(MaxListed))
            if (s.OwnerInstance != owner.Instance)
                all[s.Name] = new DeploymentLocation(s.Name, null, s, owner.IsGone(s));
        foreach (var e in ListLocal()) all[e.Name] = Local(e);
        return [.. all.Values];
    }

    /// <summary>Removes a deployment whose owner is gone from the store.</summary>
    public void Forget(DeploymentLocation gone)
    {
        if (gone.Stored is null || !gone.OwnerGone) return;
        if (!store.Remove(gone.Name, gone.Stored.OwnerInstance))
            throw new NotFoundException("name", "live deployment", gone.Name);
        log.LogInformation("Live deployment {Deployment} of the departed owner {Owner} removed", gone.Name,
            gone.OwnerAddress);
    }

    /// <summary>Marks this process's deployments alive in the store.</summary>
    public void Heartbeat()
    {
        if (ListLocal().Count > 0) store.Heartbeat(owner.Instance, DateTimeOffset.UtcNow);
    }

    private DeploymentLocation Local(LiveDeploymentEntry e) => new(e.Name, e, new StoredDeployment(e.Name, [], [],
        owner.Address, owner.Instance, DateTimeOffset.FromUnixTimeSeconds(e.CreatedUnixSeconds),
        DateTimeOffset.UtcNow), false);

    /// <summary>Records the deployment this process just started (taking over <paramref name="gone"/>'s row when its
    /// owner is gone); null when recorded, else the deployment another replica recorded under the name first.</summary>
    private StoredDeployment? Record(LiveDeploymentEntry entry, StoredDeployment? gone)
    {
        var now = DateTimeOffset.UtcNow;
        var row = new StoredDeployment(entry.Name, entry.Request.ToByteArray(),
            LiveDeploymentViews.ToProto(entry, withStats: false).ToByteArray(), owner.Address, owner.Instance, now,
            now);
        if (gone is not null && store.TakeOver(row, gone.OwnerInstance)) return null;
        return store.TryAdd(row) is { } other && other.OwnerInstance != owner.Instance ? other : null;
    }

    private DeploymentLocation SameStored(StoredDeployment stored, CreateDeploymentRequest req) =>
        stored.Spec.AsSpan().SequenceEqual(req.ToByteArray())
            ? new DeploymentLocation(stored.Name, null, stored, owner.IsGone(stored))
            : throw new PreconditionFailedException("name",
                "a live deployment of this name exists with other settings; delete it first or choose another name");
}
