using Tangent.Cluster;

namespace Tangent.Tests.Cluster;

public class ClusterDispatcherTests
{
    private static readonly ClusterJobOptions Fast = new() { RetryDelay = TimeSpan.FromMilliseconds(1), CallTimeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task EveryItemIsDeliveredOnceWithAtMostMaxInFlightCalls()
    {
        int running = 0, peak = 0;
        var results = new List<int>();
        await ClusterDispatcher.RunAsync(Enumerable.Range(0, 40).ToList(), async (i, _) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(2);
            Interlocked.Decrement(ref running);
            return i * i;
        }, (i, r) => { Assert.Equal(i * i, r); results.Add(i); }, 3, Fast, i => $"item {i}");
        Assert.Equal(Enumerable.Range(0, 40), results.Order());
        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task ItemThatFailedInTransitIsSentAgainWithTheNextAttempt()
    {
        var attempts = new Dictionary<int, List<int>>();
        var delivered = new List<int>();
        await ClusterDispatcher.RunAsync(new[] { 1, 2, 3 }, (i, attempt) =>
        {
            lock (attempts) (attempts.TryGetValue(i, out var l) ? l : attempts[i] = []).Add(attempt);
            return i == 2 && attempt < 2 ? Task.FromException<int>(new SiloUnavailableException("silo gone")) : Task.FromResult(i);
        }, (i, _) => delivered.Add(i), 2, Fast, i => $"item {i}");
        Assert.Equal([0, 1, 2], attempts[2]);
        Assert.Equal([0], attempts[1]);
        Assert.Equal([1, 2, 3], delivered.Order());
    }

    [Fact]
    public async Task CallThatTimesOutIsSentAgain()
    {
        int calls = 0;
        var never = new TaskCompletionSource<int>();
        var delivered = new List<int>();
        await ClusterDispatcher.RunAsync(new[] { 7 }, (i, attempt) => { calls++; return attempt == 0 ? never.Task : Task.FromResult(i); },
            (i, _) => delivered.Add(i), 1, Fast with { CallTimeout = TimeSpan.FromMilliseconds(50) }, i => $"item {i}");
        Assert.Equal(2, calls);
        Assert.Equal([7], delivered);
    }

    [Fact]
    public async Task AStragglingCallGetsACopyAndEachItemIsDeliveredOnce()
    {
        // Item 3's first call never answers (a silo gone silently); the others answer at once. With a long call timeout,
        // only the straggler rule can finish the run; the late answer of a copied item is dropped.
        var never = new TaskCompletionSource<int>();
        var slow = new TaskCompletionSource<int>();
        var calls = new List<(int Item, int Attempt)>();
        var delivered = new List<int>();
        var options = Fast with { CallTimeout = TimeSpan.FromHours(1), StragglerFactor = 2, StragglerFloor = TimeSpan.FromMilliseconds(100) };
        await ClusterDispatcher.RunAsync(Enumerable.Range(0, 6).ToList(), async (i, attempt) =>
        {
            lock (calls) calls.Add((i, attempt));
            if (i == 3 && attempt == 0) return await never.Task;
            if (i == 4 && attempt == 0) return await slow.Task;   // answers, but only after its copy did
            await Task.Delay(5);
            return i;
        }, (i, _) => delivered.Add(i), 6, options, i => $"item {i}");
        slow.SetResult(4);
        Assert.Equal([0, 1, 2, 3, 4, 5], delivered.Order());
        Assert.Contains((3, 1), calls);
        Assert.Contains((4, 1), calls);
        Assert.Equal(8, calls.Count);
    }

    [Fact]
    public async Task WithoutStragglerCopiesEveryItemIsSentOnce()
    {
        int calls = 0;
        await ClusterDispatcher.RunAsync(Enumerable.Range(0, 20).ToList(), async (i, _) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(i % 3 == 0 ? 30 : 1);
            return i;
        }, (_, _) => { }, 4, Fast with { StragglerFactor = 0 }, i => $"item {i}");
        Assert.Equal(20, calls);
    }

    [Fact]
    public async Task ItemThatKeepsFailingEndsTheRunNamingIt()
    {
        var e = await Assert.ThrowsAsync<IOException>(() => ClusterDispatcher.RunAsync(new[] { 5 },
            (_, _) => Task.FromException<int>(new SiloUnavailableException("silo gone")), (_, _) => { }, 1, Fast with { MaxAttempts = 3 }, i => $"chunk {i}.{i}"));
        Assert.Contains("chunk 5.5 failed 3 times", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task WorkThatFailsItselfIsNotRetried()
    {
        int calls = 0;
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ClusterDispatcher.RunAsync(new[] { 1 },
            (_, _) => { calls++; return Task.FromException<int>(new ArgumentException("bad input")); }, (_, _) => { }, 1, Fast, i => $"item {i}"));
        Assert.Equal("bad input", e.Message);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task CancellationStopsSendingAndThrows()
    {
        using var cts = new CancellationTokenSource();
        int calls = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ClusterDispatcher.RunAsync(Enumerable.Range(0, 100).ToList(),
            async (i, _) => { Interlocked.Increment(ref calls); await Task.Delay(1); return i; },
            (i, _) => { if (i == 4) cts.Cancel(); }, 1, Fast, i => $"item {i}", cts.Token));
        Assert.InRange(calls, 5, 6);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
