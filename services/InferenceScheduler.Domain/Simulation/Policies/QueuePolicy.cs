namespace InferenceScheduler.Domain.Simulation.Policies;

/// <summary>
/// Scheduler queue policy of one engine core (vLLM <c>--scheduling-policy</c>): the order in which waiting requests are
/// admitted, and which running request is preempted when KV blocks run out.
/// </summary>
internal interface IQueuePolicy
{
    int Count { get; }
    /// <summary>Adds a waiting request; <paramref name="front"/> for a preempted one that should go first (where the
    /// order allows).</summary>
    void Enqueue(RequestState[] reqs, int slot, bool front);
    /// <summary>The next request to admit (the queue must not be empty).</summary>
    int Peek();
    /// <summary>Removes the request <see cref="Peek"/> returned.</summary>
    void Pop();
    /// <summary>Index into <paramref name="running"/> of the request to preempt (the list must not be empty).</summary>
    int PickVictim(RequestState[] reqs, IntList running);
    /// <summary>Takes a waiting request out of the queue (a cancelled one); false when it is not waiting.</summary>
    bool Remove(RequestState[] reqs, int slot);
}

internal static class QueuePolicy
{
    public static IQueuePolicy For(SchedulingPolicyKind kind) =>
        kind == SchedulingPolicyKind.Priority ? new PriorityQueuePolicy() : new FcfsQueuePolicy();
}

/// <summary>First come, first served: arrivals at the back, preempted requests back at the front; the victim is the
/// last running request.</summary>
internal sealed class FcfsQueuePolicy : IQueuePolicy
{
    private readonly IntDeque _waiting = new();

    public int Count => _waiting.Count;

    public void Enqueue(RequestState[] reqs, int slot, bool front)
    {
        if (front) _waiting.PushFront(slot);
        else _waiting.PushBack(slot);
    }

    public int Peek() => _waiting.PeekFront();

    public void Pop() => _waiting.PopFront();

    public int PickVictim(RequestState[] reqs, IntList running) => running.Count - 1;

    public bool Remove(RequestState[] reqs, int slot) => _waiting.Remove(slot);
}

/// <summary>
/// Priority order (smaller value first, then arrival, then index), preempted requests included; the victim is the
/// lowest priority (largest value) running request, the latest arrival among equals.
/// </summary>
internal sealed class PriorityQueuePolicy : IQueuePolicy
{
    private readonly PriorityQueue<int, (int Priority, double Arrival, long Index)> _waiting = new();

    public int Count => _waiting.Count;

    public void Enqueue(RequestState[] reqs, int slot, bool front)
    {
        ref var r = ref reqs[slot];
        _waiting.Enqueue(slot, (r.Priority, r.Arrival, r.Index));
    }

    public int Peek() => _waiting.Peek();

    public void Pop() => _waiting.Dequeue();

    public bool Remove(RequestState[] reqs, int slot) => _waiting.Remove(slot, out _, out _);

    public int PickVictim(RequestState[] reqs, IntList running)
    {
        int best = 0;
        for (int i = 1; i < running.Count; i++)
        {
            ref var a = ref reqs[running[i]];
            ref var b = ref reqs[running[best]];
            if (a.Priority > b.Priority || (a.Priority == b.Priority && a.Arrival >= b.Arrival)) best = i;
        }
        return best;
    }
}
