using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace InferenceScheduler.Domain.Live;

/// <summary>
/// The events of one live request, for one reader. Small and allocation-free per token: a ring of
/// <see cref="InitialCapacity"/> events that grows only while other events pile up behind a slow reader, since a
/// token event posted while the previous event waiting is also tokens is merged into it (count added, times of the
/// latest kept) — a reader that falls behind gets the tokens together, as the streams write them, and nothing is
/// dropped. The request's first token event is never merged into: it keeps the first token's own times (its TTFT),
/// and later tokens merge behind it. A wait without a cancellation token reuses one waiter, and the reader is resumed
/// from a thread-pool work item that is the queue itself, never on the engine's thread. A cancellable wait registers
/// on its token (cheaper: register once per stream and cancel the request).
/// </summary>
internal sealed class LiveEventQueue : ChannelReader<LiveEvent>, IValueTaskSource<bool>, IThreadPoolWorkItem
{
    public const int InitialCapacity = 4;

    private readonly object _lock = new();
    private LiveEvent[] _ring = new LiveEvent[InitialCapacity];
    private int _head, _count;
    private bool _completed, _waiting, _canceled;

    /// <summary>A token event has been queued; the newest queued event is the first one (kept apart).</summary>
    private bool _anyTokens, _lastIsFirstTokens;
    private Exception? _error;
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationToken _waitToken;

    /// <summary>Called by the engine (under its lock): queues an event, merging tokens into waiting tokens.</summary>
    public void Post(in LiveEvent e)
    {
        bool wake;
        lock (_lock)
        {
            if (_completed) return;
            int last = (_head + _count - 1) % _ring.Length;
            bool tokens = e.Kind == LiveEventKind.Tokens;
            if (tokens && _count > 0 && _ring[last].Kind == LiveEventKind.Tokens && !_lastIsFirstTokens)
                _ring[last] = e with { Tokens = _ring[last].Tokens + e.Tokens };
            else
            {
                if (_count == _ring.Length) Grow();
                _ring[(_head + _count) % _ring.Length] = e;
                _count++;
                _lastIsFirstTokens = tokens && !_anyTokens;
                _anyTokens |= tokens;
            }
            wake = TakeWaiter();
        }
        if (wake) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>No more events; the reader ends after the queued ones (with <paramref name="error"/> when
    /// given).</summary>
    public void Complete(Exception? error = null)
    {
        bool wake;
        lock (_lock)
        {
            if (_completed) return;
            _completed = true;
            _error = error;
            wake = TakeWaiter();
        }
        if (wake) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public override bool TryRead(out LiveEvent item)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                item = default;
                return false;
            }
            item = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            return true;
        }
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<bool>(cancellationToken);
        short version;
        lock (_lock)
        {
            if (_count > 0) return new ValueTask<bool>(true);
            if (_completed)
                return _error is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_error);
            if (_waiting) throw new InvalidOperationException("one reader waits at a time");
            _core.Reset();
            _waiting = true;
            _canceled = false;
            _waitToken = cancellationToken;
            version = _core.Version;
        }
        return cancellationToken.CanBeCanceled ? WaitCancellableAsync(version, cancellationToken)
            : new ValueTask<bool>(this, version);
    }

    private async ValueTask<bool> WaitCancellableAsync(short version, CancellationToken ct)
    {
        using (ct.UnsafeRegister(static q => ((LiveEventQueue)q!).CancelWait(), this))
            return await new ValueTask<bool>(this, version);
    }

    private void CancelWait()
    {
        lock (_lock)
        {
            if (!TakeWaiter()) return;
            _canceled = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>The pending wait, if any, is ours to complete (under the lock).</summary>
    private bool TakeWaiter()
    {
        if (!_waiting) return false;
        _waiting = false;
        return true;
    }

    private void Grow()
    {
        var bigger = new LiveEvent[_ring.Length * 2];
        for (int i = 0; i < _count; i++) bigger[i] = _ring[(_head + i) % _ring.Length];
        _ring = bigger;
        _head = 0;
    }

    /// <summary>Resumes the reader on a pool thread: there is something to read, the queue completed, or the wait was
    /// cancelled.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_canceled) _core.SetException(new OperationCanceledException(_waitToken));
        else _core.SetResult(true);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);
}
