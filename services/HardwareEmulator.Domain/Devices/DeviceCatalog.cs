using System.Collections.Concurrent;
using System.Text.Json;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Devices;

/// <summary>
/// The accelerator catalog shipped in Data/devices.json, plus devices registered at run time. Custom devices are
/// capped in total (<see cref="EmulatorOptions.MaxCustomDevices"/>) and per owner
/// (<see cref="EmulatorOptions.MaxCustomDevicesPerOwner"/>), so registrations cannot grow the catalog without bound.
/// With an <see cref="ICustomDeviceStore"/>, custom devices are written to it and the caps are counted from it (so
/// they hold across restarts and, up to concurrent registrations, across replicas sharing it); call
/// <see cref="LoadStored"/> at start, and <see cref="Reload"/> when another replica registered a device.
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
    private readonly ICustomDeviceStore? _store;
    private readonly TimeProvider _time;

    /// <summary>The built-in catalog with the default limits.</summary>
    public DeviceCatalog() : this(new EmulatorOptions()) { }

    /// <summary>
    /// The built-in catalog with the custom-device limits of <paramref name="options"/>; custom devices kept in
    /// <paramref name="store"/> when given, else in this process only.
    /// </summary>
    public DeviceCatalog(EmulatorOptions options, ICustomDeviceStore? store = null, TimeProvider? time = null)
    {
        _maxCustom = options.MaxCustomDevices;
        _maxPerOwner = options.MaxCustomDevicesPerOwner;
        _store = store;
        _time = time ?? TimeProvider.System;
        foreach (var d in LoadBuiltIn()) _devices[d.Id] = d;
    }

    /// <summary>
    /// Loads the store's custom devices into the catalog (at start); returns how many. A stored id that is now a
    /// built-in one is skipped (the built-in catalog wins).
    /// </summary>
    public int LoadStored(CancellationToken ct)
    {
        if (_store is null) return 0;
        int loaded = 0;
        var stored = _store.LoadAll(ct);
        lock (_registerLock)
        {
            foreach (var d in stored)
            {
                ct.ThrowIfCancellationRequested();
                if (Hold(d)) loaded++;
            }
        }
        return loaded;
    }

    /// <summary>
    /// Reads one custom device again from the store (another replica registered or replaced it); returns false when
    /// the store does not hold it.
    /// </summary>
    public bool Reload(string id)
    {
        if (_store?.Find(Normalize(id)) is not { } d) return false;
        lock (_registerLock) return Hold(d);
    }

    // Puts a stored custom device in the catalog; under _registerLock.
    private bool Hold(StoredDevice d)
    {
        var spec = d.Device with { Id = Normalize(d.Device.Id), BuiltIn = false };
        if (_devices.TryGetValue(spec.Id, out var existing) && existing.BuiltIn) return false;
        _devices[spec.Id] = spec;
        if (_ownerOf.TryGetValue(spec.Id, out var was)) _countByOwner[was]--;
        _ownerOf[spec.Id] = d.Owner;
        _countByOwner[d.Owner] = _countByOwner.GetValueOrDefault(d.Owner) + 1;
        return true;
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
        return TryGet(id, out var d) ? d
            : throw new NotFoundException(field, "device", id,
                Suggestions.Hint(id, _devices.Keys, "ListDevices (GET /api/v1/devices)"));
    }

    /// <summary>
    /// Adds a custom device, or replaces a custom device of the same id; returns false when it replaced one.
    /// Built-in ids are refused: their figures are the audited catalog other services rely on. A new id counts
    /// against <paramref name="owner"/> (the caller's identity, e.g. its address) and the catalog's total; replacing
    /// an existing custom id counts against neither again, whoever replaces it. Past a cap:
    /// <see cref="LimitExceededException"/> naming the limit. With a store, the device is written to it first and
    /// the caps count what it holds.
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
            }
            var now = _time.GetUtcNow();
            if (_store?.Find(stored.Id) is { } previous)
            {
                // Replacing a custom id (perhaps registered by another replica): its owner stays.
                _store.Save(previous with { Device = stored, RegisteredAt = now });
                Hold(previous with { Device = stored });
                return false;
            }
            if (_store is null && existing is not null)
            {
                _devices[stored.Id] = stored;
                return false;
            }
            var (total, held) = _store?.Count(owner)
                ?? (_ownerOf.Count, _countByOwner.GetValueOrDefault(owner));
            if (total >= _maxCustom)
                throw new LimitExceededException("device",
                    $"the emulator already holds {total:N0} custom devices, its limit "
                    + $"(Emulator:MaxCustomDevices = {_maxCustom:N0}); replace an existing custom id instead",
                    total + 1, _maxCustom);
            if (held >= _maxPerOwner)
                throw new LimitExceededException("device",
                    $"this caller already registered {held:N0} custom devices, the limit per caller "
                    + $"(Emulator:MaxCustomDevicesPerOwner = {_maxPerOwner:N0}); replace one of its ids instead",
                    held + 1, _maxPerOwner);
            _store?.Save(new StoredDevice(stored, owner, now));
            Hold(new StoredDevice(stored, owner, now));
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
