using Microsoft.EntityFrameworkCore;

namespace Platform.Persistence;

/// <summary>A stored job of any kind (table "jobs"). Times are UTC.</summary>
public sealed class JobRow
{
    public Guid Id { get; set; }
    public string Kind { get; set; } = "";
    /// <summary>Queued, Running, Succeeded, Failed or Cancelled.</summary>
    public string State { get; set; } = "";
    public double Progress { get; set; }
    public string Message { get; set; } = "";
    /// <summary>The result's type tag (e.g. the protobuf message's full name); null without a result.</summary>
    public string? ResultType { get; set; }
    /// <summary>The result's bytes as the job's adapter encoded them.</summary>
    public byte[]? Result { get; set; }
    public string? ErrorField { get; set; }
    public string? ErrorReason { get; set; }
    /// <summary>The gRPC status name of the failure (InvalidArgument, NotFound, Cancelled, ...).</summary>
    public string? ErrorCode { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

/// <summary>A registered (custom) emulator device (table "custom_devices"). Times are UTC.</summary>
public sealed class CustomDeviceRow
{
    /// <summary>The normalized device id (trimmed, lower case).</summary>
    public string Id { get; set; } = "";
    /// <summary>Who registered it (the per-owner cap counts these).</summary>
    public string Owner { get; set; } = "";
    /// <summary>The device spec as JSON.</summary>
    public string Spec { get; set; } = "";
    public DateTime RegisteredAt { get; set; }
}

/// <summary>A live deployment and the host process that runs it (table "live_deployments"). Times are UTC.</summary>
public sealed class LiveDeploymentRow
{
    public string Name { get; set; } = "";
    /// <summary>The settings it was created from, as the inference adapter encoded them.</summary>
    public byte[] Spec { get; set; } = [];
    /// <summary>What it reported at creation (model, layout, limits), as the adapter encoded it.</summary>
    public byte[] Snapshot { get; set; } = [];
    /// <summary>The owner process's advertised gRPC address.</summary>
    public string OwnerAddress { get; set; } = "";
    /// <summary>The owner process's instance id (new at each start).</summary>
    public string OwnerInstance { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime HeartbeatAt { get; set; }
}

/// <summary>
/// The platform's database: jobs of every kind, custom devices and live deployments. EF migrations are
/// provider-specific, so each provider has a derived context owning its migrations
/// (<see cref="SqlitePlatformDbContext"/> in Migrations/Sqlite, <see cref="PostgresPlatformDbContext"/> in
/// Migrations/Postgres); the model is this one.
/// </summary>
public abstract class PlatformDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<JobRow> Jobs => Set<JobRow>();

    public DbSet<CustomDeviceRow> CustomDevices => Set<CustomDeviceRow>();

    public DbSet<LiveDeploymentRow> LiveDeployments => Set<LiveDeploymentRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<JobRow>(e =>
        {
            e.ToTable("jobs");
            e.HasKey(j => j.Id);
            e.Property(j => j.Kind).HasMaxLength(32).IsRequired();
            e.Property(j => j.State).HasMaxLength(16).IsRequired();
            e.Property(j => j.Message).HasMaxLength(2048).IsRequired();
            e.Property(j => j.ResultType).HasMaxLength(256);
            e.Property(j => j.ErrorField).HasMaxLength(512);
            e.Property(j => j.ErrorReason).HasMaxLength(4096);
            e.Property(j => j.ErrorCode).HasMaxLength(32);
            e.HasIndex(j => j.State);
            // ListJobs: newest first, by kind.
            e.HasIndex(j => new { j.Kind, j.CreatedAt });
            e.HasIndex(j => j.CreatedAt);
            e.HasIndex(j => j.FinishedAt);
        });
        modelBuilder.Entity<CustomDeviceRow>(e =>
        {
            e.ToTable("custom_devices");
            e.HasKey(d => d.Id);
            e.Property(d => d.Id).HasMaxLength(256);
            e.Property(d => d.Owner).HasMaxLength(256).IsRequired();
            e.Property(d => d.Spec).IsRequired();
            e.HasIndex(d => d.Owner);
        });
        modelBuilder.Entity<LiveDeploymentRow>(e =>
        {
            e.ToTable("live_deployments");
            e.HasKey(d => d.Name);
            e.Property(d => d.Name).HasMaxLength(128);
            e.Property(d => d.Spec).IsRequired();
            e.Property(d => d.Snapshot).IsRequired();
            e.Property(d => d.OwnerAddress).HasMaxLength(512).IsRequired();
            e.Property(d => d.OwnerInstance).HasMaxLength(64).IsRequired();
            // Heartbeats update the rows of one owner.
            e.HasIndex(d => d.OwnerInstance);
        });
    }
}

/// <summary>The SQLite flavour of <see cref="PlatformDbContext"/> (its migrations: Migrations/Sqlite).</summary>
public sealed class SqlitePlatformDbContext(DbContextOptions<SqlitePlatformDbContext> options)
    : PlatformDbContext(options);

/// <summary>The PostgreSQL flavour of <see cref="PlatformDbContext"/> (its migrations: Migrations/Postgres).</summary>
public sealed class PostgresPlatformDbContext(DbContextOptions<PostgresPlatformDbContext> options)
    : PlatformDbContext(options);
