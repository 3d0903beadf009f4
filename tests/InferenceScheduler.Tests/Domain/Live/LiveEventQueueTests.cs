using InferenceScheduler.Domain.Live;

namespace InferenceScheduler.Tests.Domain.Live;

/// <summary>
/// A live request's event queue: tokens waiting to be read are merged (nothing dropped, order kept), a reader waiting
/// without a token is resumed from the pool, cancellation and errors end a wait, and the steady token path allocates
/// nothing.
/// </summary>
public sealed class LiveEventQueueTests
{
    private static LiveEvent Token(double at) => new(LiveEventKind.Tokens, at, 1, at - 0.001);

    [Fact]
    public async Task Tokens_posted_while_unread_are_merged_in_order_with_the_other_events()
    {
        var q = new LiveEventQueue();
        q.Post(new LiveEvent(LiveEventKind.Queued, 0));
        for (int i = 1; i <= 1000; i++) q.Post(Token(i));
        q.Post(new LiveEvent(LiveEventKind.Preempted, 1000.5));
        q.Post(Token(1001));
        q.Post(Token(1002));
        q.Complete();
        var read = new List<LiveEvent>();
        while (q.TryRead(out var e)) read.Add(e);
        Assert.Equal([LiveEventKind.Queued, LiveEventKind.Tokens, LiveEventKind.Tokens, LiveEventKind.Preempted,
            LiveEventKind.Tokens], read.Select(e => e.Kind));
        // The first token stands alone with its own times (the request's TTFT); every later token is counted, and a
        // merged event carries the times of its latest token.
        Assert.Equal((1, 1.0, 0.999), (read[1].Tokens, read[1].Seconds, read[1].ScheduledSeconds));
        Assert.Equal((999, 1000.0, 999.999), (read[2].Tokens, read[2].Seconds, read[2].ScheduledSeconds));
        Assert.Equal(2, read[4].Tokens);
        Assert.False(await q.WaitToReadAsync());
    }

    [Fact]
    public void Many_events_behind_a_slow_reader_are_all_kept()
    {
        var q = new LiveEventQueue();
        for (int i = 0; i < 100; i++)
            q.Post(new LiveEvent(i % 2 == 0 ? LiveEventKind.Preempted : LiveEventKind.Resumed, i));
        int n = 0;
        while (q.TryRead(out var e)) Assert.Equal(n++, e.Seconds);
        Assert.Equal(100, n);
    }

    [Fact]
    public async Task A_waiting_reader_is_resumed_by_a_post_and_ends_at_completion()
    {
        var q = new LiveEventQueue();
        var reader = Task.Run(async () =>
        {
            int tokens = 0;
            await foreach (var e in q.ReadAllAsync()) tokens += e.Tokens;
            return tokens;
        });
        for (int i = 0; i < 200; i++)
        {
            q.Post(Token(i));
            if (i % 10 == 0) await Task.Delay(1);
        }
        q.Complete();
        Assert.Equal(200, await reader.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_a_failed_queue_throws_its_error()
    {
        var q = new LiveEventQueue();
        using var cts = new CancellationTokenSource();
        var wait = q.WaitToReadAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        q.Complete(new InvalidOperationException("deleted"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => q.WaitToReadAsync().AsTask());
        Assert.Equal("deleted", e.Message);
    }

    /// <summary>
    /// The per-token path — the reader waits, the engine posts, the reader is resumed and reads — allocates nothing
    /// on the posting thread once warm (an unbounded channel waited on with a cancellable token allocates a waiter
    /// and a token registration per wait).
    /// </summary>
    [Fact]
    public void Waiting_posting_and_reading_a_token_allocates_nothing()
    {
        var q = new LiveEventQueue();
        void Cycle(int i)
        {
            var wait = q.WaitToReadAsync();
            q.Post(Token(i));
            var spin = new SpinWait();
            while (!wait.IsCompleted) spin.SpinOnce();
            Assert.True(wait.GetAwaiter().GetResult());
            Assert.True(q.TryRead(out _));
        }
        for (int i = 0; i < 100; i++) Cycle(i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Cycle(i);
        long perToken = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
        Assert.Equal(0, perToken);
    }
}
