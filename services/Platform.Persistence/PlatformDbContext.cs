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

/// <summary>
/// The platform's database: jobs of every kind and custom devices. EF migrations are provider-specific, so each
/// provider has a derived context owning its migrations (<see cref="SqlitePlatformDbContext"/> in Migrations/Sqlite,
/// <see cref="PostgresPlatformDbContext"/> in Migrations/Postgres); the model is this one.
/// </summary>
public abstract class PlatformDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<JobRow> Jobs => Set<JobRow>();

    public DbSet<CustomDeviceRow> CustomDevices => Set<CustomDeviceRow>();

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
    }
}

/// <summary>The SQLite flavour of <see cref="PlatformDbContext"/> (its migrations: Migrations/Sqlite).</summary>
public sealed class SqlitePlatformDbContext(DbContextOptions<SqlitePlatformDbContext> options)
    : PlatformDbContext(options);

/// <summary>The PostgreSQL flavour of <see cref="PlatformDbContext"/> (its migrations: Migrations/Postgres).</summary>
public sealed class PostgresPlatformDbContext(DbContextOptions<PostgresPlatformDbContext> options)
    : PlatformDbContext(options);
