using System.Collections.Concurrent;
using System.Text.Json;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Devices;

/// <summary>The accelerator catalog shipped in Data/devices.json, plus devices registered at run time.</summary>
public sealed class DeviceCatalog
{
    private readonly ConcurrentDictionary<string, DeviceSpec> _devices = new(StringComparer.Ordinal);

    /// <summary>The built-in catalog.</summary>
    public DeviceCatalog()
    {
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
    /// Built-in ids are refused: their figures are the audited catalog other services rely on.
    /// </summary>
    public bool Register(DeviceSpec device, string field = "device.id")
    {
        var stored = device with { Id = Normalize(device.Id), BuiltIn = false };
        bool added = true;
        _devices.AddOrUpdate(stored.Id, stored, (id, existing) =>
        {
            if (existing.BuiltIn)
                throw new PreconditionFailedException(field,
                    $"'{PlatformException.Quote(id)}' is a built-in device and cannot be replaced; "
                    + "register it under another id");
            added = false;
            return stored;
        });
        return added;
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
