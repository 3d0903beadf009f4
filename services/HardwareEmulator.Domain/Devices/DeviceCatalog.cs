using System.Collections.Concurrent;
using System.Text.Json;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Devices;

/// <summary>
/// The accelerator catalog shipped in Data/devices.json, plus devices registered at run time. Custom devices are
/// capped in total (<see cref="EmulatorOptions.MaxCustomDevices"/>) and per owner
/// (<see cref="EmulatorOptions.MaxCustomDevicesPerOwner"/>), so registrations cannot grow the catalog without bound.
/// </summary>
public sealed class DeviceCatalog
{
    private readonly ConcurrentDictionary<string, DeviceSpec> _devices = new(StringComparer.Ordinal);

    // Who registered each custom device and how many each owner holds; changed only under _registerLock.
    private readonly Dictionary<string, string> _ownerOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _countByOwner = new(StringComparer.Ordinal);
    private readonly Lock _registerLock = new();
    private readonly int _maxCustom;
    private readonly int _maxPerOwner;

    /// <summary>The built-in catalog with the default limits.</summary>
    public DeviceCatalog() : this(new EmulatorOptions()) { }

    /// <summary>The built-in catalog with the custom-device limits of <paramref name="options"/>.</summary>
    public DeviceCatalog(EmulatorOptions options)
    {
        _maxCustom = options.MaxCustomDevices;
        _maxPerOwner = options.MaxCustomDevicesPerOwner;
        foreach (var d in LoadBuiltIn()) _devices[d.Id] = d;
    }

    /// <summary>A catalog of exactly these devices (tests, what-ifs).</summary>
    public static DeviceCatalog Of(IEnumerable<DeviceSpec> devices)
    {
        var c = new DeviceCatalog();
        c._devices.Clear();
        foreach (var d in devices) c._devices[d.Id] = d;
        return c;
    }

    public IReadOnlyList<DeviceSpec> All =>
        _devices.Values.OrderBy(d => d.Vendor).ThenBy(d => d.Year).ThenBy(d => d.Id).ToList();

    /// <summary>Custom (registered) devices held now.</summary>
    public int CustomCount
    {
        get { lock (_registerLock) return _ownerOf.Count; }
    }

    /// <summary>
    /// One page of the catalog in its listing order: built-in devices first, then custom ones, each by id (ordinal).
    /// The order is total and an id keeps its place, so a cursor stays valid while devices are added.
    /// </summary>
    /// <param name="vendor">Only this vendor (case-insensitive); null or empty for every vendor.</param>
    /// <param name="pageSize">At most this many devices (at least one).</param>
    /// <param name="after">The last device of the previous page; null for the first page.</param>
    public DevicePage List(string? vendor, int pageSize, DeviceCursor? after)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var matching = _devices.Values
            .Where(d => string.IsNullOrEmpty(vendor) || d.Vendor.Equals(vendor, StringComparison.OrdinalIgnoreCase))
            .Where(d => after is null || DeviceCursor.Of(d).CompareTo(after) > 0)
            .OrderBy(DeviceCursor.Of)
            .Take(pageSize + 1)
            .ToList();
        if (matching.Count <= pageSize) return new DevicePage(matching, null);
        matching.RemoveAt(pageSize);
        return new DevicePage(matching, DeviceCursor.Of(matching[^1]));
    }

    public bool TryGet(string id, out DeviceSpec device) => _devices.TryGetValue(Normalize(id), out device!);

    /// <summary>The device, or <see cref="NotFoundException"/> naming <paramref name="field"/>.</summary>
    public DeviceSpec Get(string id, string field = "device")
    {
        if (string.IsNullOrWhiteSpace(id))
            throw new InvalidFieldException(field, "is empty; give a device id such as 'h800'");
        return TryGet(id, out var d) ? d : throw new NotFoundException(field, "device", id);
    }

    /// <summary>
    /// Adds a custom device, or replaces a custom device of the same id; returns false when it replaced one.
    /// Built-in ids are refused: their figures are the audited catalog other services rely on. A new id counts
    /// against <paramref name="owner"/> (the caller's identity, e.g. its address) and the catalog's total; replacing
    /// an existing custom id counts against neither again, whoever replaces it. Past a cap:
    /// <see cref="LimitExceededException"/> naming the limit.
    /// </summary>
    public bool Register(DeviceSpec device, string owner, string field = "device.id")
    {
        ArgumentNullException.ThrowIfNull(owner);
        var stored = device with { Id = Normalize(device.Id), BuiltIn = false };
        lock (_registerLock)
        {
            if (_devices.TryGetValue(stored.Id, out var existing))
            {
                if (existing.BuiltIn)
                    throw new PreconditionFailedException(field,
                        $"'{PlatformException.Quote(stored.Id)}' is a built-in device and cannot be replaced; "
                        + "register it under another id");
                _devices[stored.Id] = stored;
                return false;
            }
            if (_ownerOf.Count >= _maxCustom)
                throw new LimitExceededException("device",
                    $"the emulator already holds {_ownerOf.Count:N0} custom devices, its limit "
                    + $"(Emulator:MaxCustomDevices = {_maxCustom:N0}); replace an existing custom id instead",
                    _ownerOf.Count + 1, _maxCustom);
            int held = _countByOwner.GetValueOrDefault(owner);
            if (held >= _maxPerOwner)
                throw new LimitExceededException("device",
                    $"this caller already registered {held:N0} custom devices, the limit per caller "
                    + $"(Emulator:MaxCustomDevicesPerOwner = {_maxPerOwner:N0}); replace one of its ids instead",
                    held + 1, _maxPerOwner);
            _devices[stored.Id] = stored;
            _ownerOf[stored.Id] = owner;
            _countByOwner[owner] = held + 1;
            return true;
        }
    }

    public static string Normalize(string id) => id.Trim().ToLowerInvariant();

    private static IEnumerable<DeviceSpec> LoadBuiltIn()
    {
        using var s = typeof(DeviceCatalog).Assembly.GetManifestResourceStream("HardwareEmulator.Data.devices.json")
            ?? throw new InvalidOperationException("devices.json resource missing");
        using var doc = JsonDocument.Parse(s);
        var opts = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        foreach (var e in doc.RootElement.GetProperty("devices").EnumerateArray())
            yield return e.Deserialize<DeviceSpec>(opts)! with { BuiltIn = true };
    }
}

/// <summary>A device's place in the listing order: built-in devices first, then custom ones, each by id.</summary>
public sealed record DeviceCursor(bool BuiltIn, string Id) : IComparable<DeviceCursor>
{
    public static DeviceCursor Of(DeviceSpec d) => new(d.BuiltIn, d.Id);

    public int CompareTo(DeviceCursor? other)
    {
        if (other is null) return 1;
        if (BuiltIn != other.BuiltIn) return BuiltIn ? -1 : 1;
        return string.CompareOrdinal(Id, other.Id);
    }
}

/// <summary>One page of <see cref="DeviceCatalog.List"/>; <see cref="Next"/> is null on the last page.</summary>
public sealed record DevicePage(IReadOnlyList<DeviceSpec> Devices, DeviceCursor? Next);
