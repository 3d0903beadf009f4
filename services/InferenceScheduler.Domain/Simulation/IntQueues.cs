namespace InferenceScheduler.Domain.Simulation;

/// <summary>Growable ring buffer of ints (waiting queue: push back on arrival, push front on preemption).</summary>
internal sealed class IntDeque
{
    private int[] _a = new int[16];
    private int _head, _count;
    public int Count => _count;
    public int PeekFront() => _a[_head];
    public int PopFront() { int v = _a[_head]; _head = (_head + 1) & (_a.Length - 1); _count--; return v; }
    public void PushBack(int v) { Grow(); _a[(_head + _count) & (_a.Length - 1)] = v; _count++; }
    public void PushFront(int v) { Grow(); _head = (_head - 1) & (_a.Length - 1); _a[_head] = v; _count++; }

    /// <summary>Removes the first occurrence of <paramref name="v"/>, keeping the order; false when absent.</summary>
    public bool Remove(int v)
    {
        int mask = _a.Length - 1;
        for (int i = 0; i < _count; i++)
        {
            if (_a[(_head + i) & mask] != v) continue;
            for (int j = i; j < _count - 1; j++) _a[(_head + j) & mask] = _a[(_head + j + 1) & mask];
            _count--;
            return true;
        }
        return false;
    }
    private void Grow()
    {
        if (_count < _a.Length) return;
        var b = new int[_a.Length * 2];
        for (int i = 0; i < _count; i++) b[i] = _a[(_head + i) & (_a.Length - 1)];
        _a = b; _head = 0;
    }
}

/// <summary>Growable list of ints with order-preserving removal.</summary>
internal sealed class IntList
{
    private int[] _a = new int[16];
    public int Count;
    public int this[int i] => _a[i];
    public void Add(int v) { if (Count == _a.Length) Array.Resize(ref _a, _a.Length * 2); _a[Count++] = v; }
    public int Last => _a[Count - 1];
    public void RemoveAt(int i) { Array.Copy(_a, i + 1, _a, i, Count - i - 1); Count--; }
    public int IndexOf(int v) { for (int i = 0; i < Count; i++) if (_a[i] == v) return i; return -1; }
    public void Clear() => Count = 0;
    public void Set(int i, int v) => _a[i] = v;
}
