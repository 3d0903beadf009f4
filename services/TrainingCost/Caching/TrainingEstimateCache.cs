using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using TrainingCost.Domain;

namespace TrainingCost.Caching;

/// <summary>
/// Answers repeated estimates of the same run from memory: a bounded cache (<see cref="TrainingEstimateCacheOptions"/>:
/// at most MaxEntries runs, each for TimeToLive) keyed by the whole domain run spec, so two requests share an entry
/// exactly when the estimator would compute the same result for them. Only successful estimates are kept. Entries of
/// a device are dropped when it is registered or replaced (<see cref="Forget"/>), including any estimate still being
/// computed from its previous specs at that moment.
/// </summary>
public sealed class TrainingEstimateCache : IDisposable
{
    private readonly MemoryCache? _cache;
    private readonly TimeSpan _ttl;
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _devices =
        new(StringComparer.OrdinalIgnoreCase);

    public TrainingEstimateCache(IOptions<TrainingEstimateCacheOptions> options)
    {
        var o = options.Value;
        _ttl = o.TimeToLive;
        if (o.MaxEntries > 0)
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = o.MaxEntries, CompactionPercentage = 0.25 });
    }

    /// <summary>Entries held now.</summary>
    public int Count => _cache?.Count ?? 0;

    /// <summary>The estimate of <paramref name="spec"/> from the cache, else from <paramref name="estimate"/> (then
    /// kept).</summary>
    public async Task<TrainingEstimate> GetOrEstimateAsync(TrainingRunSpec spec,
        Func<TrainingRunSpec, CancellationToken, Task<TrainingEstimate>> estimate, CancellationToken ct)
    {
        if (_cache is null) return await estimate(spec, ct);
        var key = Key.Of(spec);
        if (_cache.TryGetValue(key, out TrainingEstimate? hit) && hit is not null) return hit;
        // Taken before estimating: a device registered meanwhile expires what this computes from its old specs.
        var device = _devices.GetOrAdd(DeviceOf(spec), _ => new CancellationTokenSource());
        var changed = new CancellationChangeToken(device.Token);
        var result = await estimate(spec, ct);
        if (!device.IsCancellationRequested)
            _cache.Set(key, result, new MemoryCacheEntryOptions
            {
                Size = 1, AbsoluteExpirationRelativeToNow = _ttl, ExpirationTokens = { changed },
            });
        return result;
    }

    /// <summary>Drops every estimate on <paramref name="deviceId"/> (it was registered or replaced).</summary>
    public void Forget(string deviceId)
    {
        // Not disposed: a request that took it before may still read its token.
        if (_devices.TryRemove(deviceId.Trim(), out var cts)) cts.Cancel();
    }

    public void Dispose()
    {
        _cache?.Dispose();
        foreach (var cts in _devices.Values) cts.Dispose();
    }

    private static string DeviceOf(TrainingRunSpec spec) => spec.Accelerator.Trim();

    /// <summary>The run spec by value: records compare field by field; the schedule list is compared by its
    /// items.</summary>
    private sealed record Key(TrainingRunSpec Spec, string Schedules)
    {
        public static Key Of(TrainingRunSpec spec) => new(spec with { AllowedSchedules = null },
            spec.AllowedSchedules is null ? "*" : string.Join(",", spec.AllowedSchedules));
    }
}
