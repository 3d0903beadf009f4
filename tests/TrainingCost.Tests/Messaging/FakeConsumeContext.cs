using System.Reflection;
using MassTransit;

namespace TrainingCost.Tests.Messaging;

/// <summary>
/// A consume context for calling a consumer directly: the message, its cancellation token (e.g. one the transport
/// cancelled) and a first delivery; what the consumer publishes is recorded. Other members answer defaults.
/// </summary>
public class FakeConsumeContext : DispatchProxy
{
    private readonly Dictionary<string, object?> _values = [];

    /// <summary>Messages the consumer published through the context.</summary>
    public List<object> Published { get; } = [];

    public static (ConsumeContext<T> Context, List<object> Published) Create<T>(T message, CancellationToken token)
        where T : class
    {
        var context = DispatchProxy.Create<ConsumeContext<T>, FakeConsumeContext>();
        var fake = (FakeConsumeContext)(object)context;
        var receive = DispatchProxy.Create<ReceiveContext, FakeConsumeContext>();
        ((FakeConsumeContext)(object)receive)._values["Redelivered"] = false;
        fake._values["Message"] = message;
        fake._values["CancellationToken"] = token;
        fake._values["ReceiveContext"] = receive;
        return (context, fake.Published);
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        var m = method!;
        if (m.Name == "Publish" && args is [{ } message, ..])
        {
            Published.Add(message);
            return Task.CompletedTask;
        }
        string name = m.Name.StartsWith("get_", StringComparison.Ordinal) ? m.Name[4..] : m.Name;
        if (_values.TryGetValue(name, out var value)) return value;
        if (m.ReturnType == typeof(Task)) return Task.CompletedTask;
        return m.ReturnType.IsValueType && m.ReturnType != typeof(void) ? Activator.CreateInstance(m.ReturnType) : null;
    }
}
