using InferenceScheduler.Domain.Live;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Platform.Persistence;

/// <summary>
/// Live deployments in the platform database (table live_deployments), so every inference replica lists them and
/// finds the process that runs each. Names are the key: two replicas creating one name at once store one of them.
/// </summary>
public sealed class EfDeploymentStore(IDbContextFactory<PlatformDbContext> contexts,
    ILogger<EfDeploymentStore> logger) : IDeploymentStore
{
    public StoredDeployment? TryAdd(StoredDeployment deployment) => Db.Run(logger, "record a live deployment", () =>
    {
        using (var db = contexts.CreateDbContext())
        {
            if (db.LiveDeployments.AsNoTracking().FirstOrDefault(d => d.Name == deployment.Name) is { } row)
                return ToDomain(row);
            db.LiveDeployments.Add(ToRow(deployment));
            try
            {
                db.SaveChanges();
                return null;
            }
            catch (DbUpdateException) when (FindRow(deployment.Name) is { } raced)
            {
                // Another replica stored the name between the read and the insert.
                return ToDomain(raced);
            }
        }
    });

    public bool TakeOver(StoredDeployment deployment, string previousOwnerInstance) =>
        Db.Run(logger, "take over a live deployment", () =>
        {
            using var db = contexts.CreateDbContext();
            var row = ToRow(deployment);
            return db.LiveDeployments
                .Where(d => d.Name == deployment.Name && d.OwnerInstance == previousOwnerInstance)
                .ExecuteUpdate(s => s
                    .SetProperty(d => d.Spec, row.Spec)
                    .SetProperty(d => d.Snapshot, row.Snapshot)
                    .SetProperty(d => d.OwnerAddress, row.OwnerAddress)
                    .SetProperty(d => d.OwnerInstance, row.OwnerInstance)
                    .SetProperty(d => d.CreatedAt, row.CreatedAt)
                    .SetProperty(d => d.HeartbeatAt, row.HeartbeatAt)) == 1;
        });

    public StoredDeployment? Find(string name) => Db.Run(logger, "read a live deployment", () =>
        FindRow(name) is { } row ? ToDomain(row) : null);

    public IReadOnlyList<StoredDeployment> List(int limit) => Db.Run(logger, "list live deployments", () =>
    {
        using var db = contexts.CreateDbContext();
        return db.LiveDeployments.AsNoTracking().OrderBy(d => d.Name).Take(limit).AsEnumerable()
            .Select(ToDomain).ToList();
    });

    public void Heartbeat(string ownerInstance, DateTimeOffset at) => Db.Run(logger, "renew live deployments", () =>
    {
        using var db = contexts.CreateDbContext();
        var utc = Db.Utc(at);
        db.LiveDeployments.Where(d => d.OwnerInstance == ownerInstance)
            .ExecuteUpdate(s => s.SetProperty(d => d.HeartbeatAt, utc));
    });

    public bool Remove(string name, string? ownerInstance) => Db.Run(logger, "remove a live deployment", () =>
    {
        using var db = contexts.CreateDbContext();
        var rows = db.LiveDeployments.Where(d => d.Name == name);
        if (ownerInstance is not null) rows = rows.Where(d => d.OwnerInstance == ownerInstance);
        return rows.ExecuteDelete() > 0;
    });

    private LiveDeploymentRow? FindRow(string name)
    {
        using var db = contexts.CreateDbContext();
        return db.LiveDeployments.AsNoTracking().FirstOrDefault(d => d.Name == name);
    }

    private static LiveDeploymentRow ToRow(StoredDeployment d) => new()
    {
        Name = d.Name, Spec = d.Spec, Snapshot = d.Snapshot, OwnerAddress = d.OwnerAddress,
        OwnerInstance = d.OwnerInstance, CreatedAt = Db.Utc(d.CreatedAt), HeartbeatAt = Db.Utc(d.HeartbeatAt),
    };

    private static StoredDeployment ToDomain(LiveDeploymentRow r) => new(r.Name, r.Spec, r.Snapshot, r.OwnerAddress,
        r.OwnerInstance, Db.Utc(r.CreatedAt), Db.Utc(r.HeartbeatAt));
}
