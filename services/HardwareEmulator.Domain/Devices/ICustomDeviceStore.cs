namespace HardwareEmulator.Domain.Devices;

/// <summary>A registered (custom) device as stored: its spec, who registered it, and when (UTC).</summary>
public sealed record StoredDevice(DeviceSpec Device, string Owner, DateTimeOffset RegisteredAt);

/// <summary>
/// Where the <see cref="DeviceCatalog"/> keeps custom devices so they outlive the process and are shared by emulator
/// replicas (a port: the database adapter implements it in infrastructure). The built-in catalog is never stored. A
/// store that cannot be reached throws <see cref="Platform.Modeling.Errors.DependencyUnavailableException"/>.
/// </summary>
public interface ICustomDeviceStore
{
    /// <summary>Every stored custom device, by id.</summary>
    IReadOnlyList<StoredDevice> LoadAll(CancellationToken ct);

    /// <summary>The stored device of this (normalized) id, or null.</summary>
    StoredDevice? Find(string id);

    /// <summary>How many custom devices are stored, in all and for <paramref name="owner"/>.</summary>
    (int Total, int ByOwner) Count(string owner);

    /// <summary>Inserts the device or replaces the stored one of the same id (keeping its owner).</summary>
    void Save(StoredDevice device);
}
