namespace InferenceScheduler.Domain.Simulation;

/// <summary>State of the requests in flight, in slots reused after a request completes (memory bounded by what is in
/// flight).</summary>
internal sealed class RequestTable
{
    private RequestState[] _reqs = new RequestState[256];
    private readonly Stack<int> _freeSlots = new();
    private int _slotCount;

    /// <summary>The slot array (replaced when it grows: read it again after <see cref="Add"/>).</summary>
    public RequestState[] Slots => _reqs;

    public ref RequestState this[int slot] => ref _reqs[slot];

    /// <summary>A cleared slot for a new request.</summary>
    public int Add()
    {
        int slot;
        if (_freeSlots.Count > 0) slot = _freeSlots.Pop();
        else
        {
            if (_slotCount == _reqs.Length) Array.Resize(ref _reqs, _reqs.Length * 2);
            slot = _slotCount++;
        }
        _reqs[slot] = default;
        return slot;
    }

    public void Free(int slot)
    {
        _reqs[slot].Hashes = null;
        _freeSlots.Push(slot);
    }
}
