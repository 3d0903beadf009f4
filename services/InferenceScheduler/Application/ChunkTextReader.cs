using System.Collections.Concurrent;

namespace InferenceScheduler.Application;

/// <summary>
/// A TextReader over text chunks handed in by another thread through a bounded queue (back-pressure on the upload).
/// </summary>
internal sealed class ChunkTextReader(int capacity) : TextReader
{
    private readonly BlockingCollection<string> _queue = new(capacity);
    private string _current = "";
    private int _pos;

    public void Add(string chunk, CancellationToken ct) { if (chunk.Length > 0) _queue.Add(chunk, ct); }
    public void Complete() { if (!_queue.IsAddingCompleted) _queue.CompleteAdding(); }

    /// <summary>Consumes what is left so a producer never blocks on a reader that stopped early.</summary>
    public void Drain() { while (Read() >= 0) { } }

    private bool Fill()
    {
        while (_pos >= _current.Length)
        {
            if (!_queue.TryTake(out var next, Timeout.Infinite)) return false;
            _current = next;
            _pos = 0;
        }
        return true;
    }

    public override int Peek() => Fill() ? _current[_pos] : -1;
    public override int Read() => Fill() ? _current[_pos++] : -1;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _queue.Dispose();
        base.Dispose(disposing);
    }
}
