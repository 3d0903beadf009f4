using System.Globalization;

namespace Platform.Benchmarks;

/// <summary>
/// The host's allocation and collection totals from its Prometheus page (/metrics, the .NET runtime's
/// System.Runtime meter: dotnet_gc_heap_total_allocated_bytes_total, dotnet_gc_collections_total by generation).
/// </summary>
internal sealed record HostCounters(double AllocatedBytes, double Gen0, double Gen1, double Gen2)
{
    /// <summary>Null without an address or when the page lacks the allocation total.</summary>
    public static async Task<HostCounters?> ReadAsync(HttpClient http, string baseUrl)
    {
        if (baseUrl.Length == 0) return null;
        // The exporter caches a scrape briefly; wait past it so the figures are the round's.
        await Task.Delay(1000);
        string text = await http.GetStringAsync(baseUrl.TrimEnd('/') + "/metrics");
        double? allocated = null;
        double g0 = 0, g1 = 0, g2 = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#')) continue;
            if (line.StartsWith("dotnet_gc_heap_total_allocated_bytes_total", StringComparison.Ordinal))
                allocated = Value(line);
            else if (line.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal))
            {
                if (line.Contains("\"gen0\"", StringComparison.Ordinal)) g0 = Value(line);
                else if (line.Contains("\"gen1\"", StringComparison.Ordinal)) g1 = Value(line);
                else if (line.Contains("\"gen2\"", StringComparison.Ordinal)) g2 = Value(line);
            }
        }
        return allocated is { } a ? new HostCounters(a, g0, g1, g2) : null;
    }

    private static double Value(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return double.Parse(parts[1], CultureInfo.InvariantCulture);
    }
}
