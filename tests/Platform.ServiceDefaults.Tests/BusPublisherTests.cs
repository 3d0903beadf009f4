using System.Diagnostics;
using System.Reflection;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults;

namespace Platform.ServiceDefaults.Tests;

/// <summary>
/// Publishing for a waiting caller: refused at once while the bus is not healthy, bounded by the publish timeout, and
/// readiness not serving for a bus MassTransit calls merely degraded.
/// </summary>
public sealed class BusPublisherTests
{
    /// <summary>A bus of a given health whose publishes take <see cref="PublishDelay"/> (or throw).</summary>
    public class FakeBus : DispatchProxy
    {
        public BusHealthStatus Status { get; set; } = BusHealthStatus.Healthy;
        public TimeSpan PublishDelay { get; set; }
        public Exception? PublishFailure { get; set; }

        protected override object? Invoke(MethodInfo? method, object?[]? args) => method!.Name switch
        {
            "CheckHealth" => Status switch
            {
                BusHealthStatus.Healthy => BusHealthResult.Healthy("Ready", new Dictionary<string,
                    EndpointHealthResult>()),
                BusHealthStatus.Degraded => BusHealthResult.Degraded("endpoint faulted",
                    new InvalidOperationException("faulted"), new Dictionary<string, EndpointHealthResult>()),
                _ => BusHealthResult.Unhealthy("Not ready", new InvalidOperationException("stopped"),
                    new Dictionary<string, EndpointHealthResult>()),
            },
            "Publish" => PublishAsync((CancellationToken)args!.Last(a => a is CancellationToken)!),
            _ => throw new NotSupportedException(method.Name),
        };

        public int Publishes { get; set; }

        private async Task PublishAsync(CancellationToken ct)
        {
            Publishes++;
            await Task.Delay(PublishDelay, ct);
            if (PublishFailure is not null) throw PublishFailure;
        }
    }

    private static (BusPublisher Publisher, FakeBus Bus) Create(TimeSpan publishTimeout)
    {
        var bus = DispatchProxy.Create<IBusControl, FakeBus>();
        var fake = (FakeBus)(object)bus;
        var options = Options.Create(new BusDeliveryOptions { PublishTimeout = publishTimeout });
        return (new BusPublisher(bus, bus, options, NullLogger<BusPublisher>.Instance), fake);
    }

    [Theory]
    [InlineData(BusHealthStatus.Degraded)]
    [InlineData(BusHealthStatus.Unhealthy)]
    public async Task A_bus_short_of_healthy_refuses_at_once_and_is_not_ready(BusHealthStatus status)
    {
        var (publisher, bus) = Create(TimeSpan.FromSeconds(5));
        publisher.ThrowIfUnreachable();
        bus.Status = status;

        var e = Assert.Throws<DependencyUnavailableException>(publisher.ThrowIfUnreachable);
        Assert.Equal(BusPublisher.Dependency, e.Field);
        Assert.Contains("try again", e.Reason);
        var ready = await new BusReadinessCheck((IBusControl)(object)bus)
            .CheckHealthAsync(new HealthCheckContext(), CancellationToken.None);
        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
    }

    [Fact]
    public async Task A_publish_the_broker_does_not_take_in_time_fails_as_unavailable()
    {
        var (publisher, bus) = Create(TimeSpan.FromMilliseconds(200));
        bus.PublishDelay = TimeSpan.FromMinutes(5);
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<DependencyUnavailableException>(() =>
            publisher.PublishAsync(new object(), CancellationToken.None));
        Assert.Equal(BusPublisher.Dependency, e.Field);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_failing_publish_is_unavailable_and_the_callers_own_cancellation_stays_a_cancellation()
    {
        var (publisher, bus) = Create(TimeSpan.FromSeconds(5));
        bus.PublishFailure = new InvalidOperationException("channel closed");
        await Assert.ThrowsAsync<DependencyUnavailableException>(() =>
            publisher.PublishAsync(new object(), CancellationToken.None));

        bus.PublishFailure = null;
        bus.PublishDelay = TimeSpan.FromMinutes(5);
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            publisher.PublishAsync(new object(), cancelled.Token));

        // A caller already gone publishes nothing at all.
        bus.PublishDelay = TimeSpan.Zero;
        bus.Publishes = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            publisher.PublishAsync(new object(), cancelled.Token));
        Assert.Equal(0, bus.Publishes);
    }
}
