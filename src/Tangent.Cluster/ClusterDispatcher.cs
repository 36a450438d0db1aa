using System.Runtime.ExceptionServices;

namespace Tangent.Cluster;

/// <summary>How a coordinator hands out work to a cluster.</summary>
public sealed record ClusterJobOptions
{
    /// <summary>Calls in flight at once; null = the cores of the cluster (active silos × the cores a silo reports), about one per core.</summary>
    public int? MaxInFlight { get; init; }

    /// <summary>A call that has not answered after this long is abandoned and its item sent again (possibly to another silo).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How many times one item is tried before the job fails.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The pause before an item that failed is sent again (doubled at each further attempt).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The threads one chunk may use on its silo.</summary>
    public int ThreadsPerChunk { get; init; } = 1;
}

/// <summary>
/// Runs idempotent work items on a cluster (docs/CLUSTER.md): at most <see cref="ClusterJobOptions.MaxInFlight"/> calls at once, each
/// result handed to the caller as it arrives (on one thread at a time), an item whose call failed in transit (a silo died, a connection
/// dropped: <see cref="OrleansException"/>) or timed out sent again, any other failure (the work itself failed) ending the run with
/// that exception. The kernel coordinator runs chunks through it; a distributed solver can run its block products through it.
/// </summary>
public static class ClusterDispatcher
{
    /// <summary>Runs <paramref name="call"/> on every item, retrying failures in transit, and passes each result to <paramref name="onResult"/>.</summary>
    /// <param name="items">The items; each is idempotent (sending it twice gives the same result).</param>
    /// <param name="call">Sends one item (the attempt number, 0-based, lets it choose another worker on a retry).</param>
    /// <param name="onResult">Takes one result (one at a time, in the order results arrive).</param>
    /// <param name="maxInFlight">Calls at once (≥ 1).</param>
    /// <param name="options">Timeout, attempts and retry delay.</param>
    /// <param name="describe">Names an item in messages.</param>
    /// <param name="cancellationToken">Stops sending; calls in flight are abandoned (their results are dropped).</param>
    /// <exception cref="IOException">An item failed in transit <see cref="ClusterJobOptions.MaxAttempts"/> times.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static async Task RunAsync<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, int, Task<TResult>> call, Action<TItem, TResult> onResult,
        int maxInFlight, ClusterJobOptions options, Func<TItem, string> describe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(onResult);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(describe);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1, nameof(options));
        var queue = new Queue<(TItem Item, int Attempt)>(items.Select(i => (i, 0)));
        var running = new Dictionary<Task<TResult>, (TItem Item, int Attempt)>();
        var delayed = new List<(Task Delay, TItem Item, int Attempt)>();
        try
        {
            while (queue.Count > 0 || running.Count > 0 || delayed.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (queue.Count > 0 && running.Count < maxInFlight)
                {
                    var (item, attempt) = queue.Dequeue();
                    running[Start(call, item, attempt, options.CallTimeout, cancellationToken)] = (item, attempt);
                }
                var waits = new List<Task>(running.Keys);
                waits.AddRange(delayed.Select(d => d.Delay));
                var finished = await Task.WhenAny(waits).ConfigureAwait(false);
                for (int k = delayed.Count - 1; k >= 0; k--)
                    if (delayed[k].Delay.IsCompleted)
                    {
                        queue.Enqueue((delayed[k].Item, delayed[k].Attempt));
                        delayed.RemoveAt(k);
                    }
                if (finished is not Task<TResult> done || !running.Remove(done, out var entry)) continue;
                if (done.IsCompletedSuccessfully)
                {
                    onResult(entry.Item, done.Result);
                    continue;
                }
                var error = done.Exception?.InnerException ?? new OperationCanceledException();
                cancellationToken.ThrowIfCancellationRequested();
                if (!IsTransient(error)) ExceptionDispatchInfo.Capture(error).Throw();
                int next = entry.Attempt + 1;
                if (next >= options.MaxAttempts)
                    throw new IOException($"{describe(entry.Item)} failed {next} times on the cluster (last: {error.GetType().Name}: {error.Message.Split('\n')[0]}); check the silos (tangent serve) and run the command again: finished work is kept.", error);
                var pause = options.RetryDelay * Math.Pow(2, entry.Attempt);
                delayed.Add((Task.Delay(pause, cancellationToken), entry.Item, next));
            }
        }
        finally
        {
            foreach (var t in running.Keys) Observe(t);
        }
    }

    /// <summary>True for a failure in transit, worth sending again: Orleans' own (a silo or connection gone, a message rejected), a timeout, a call cancelled by the runtime.</summary>
    public static bool IsTransient(Exception e) => e is OrleansException or TimeoutException or OperationCanceledException;

    private static Task<TResult> Start<TItem, TResult>(Func<TItem, int, Task<TResult>> call, TItem item, int attempt, TimeSpan timeout, CancellationToken token)
    {
        Task<TResult> t;
        try { t = call(item, attempt); }
        catch (Exception e) { return Task.FromException<TResult>(e); }
        Observe(t);   // an abandoned call (timed out, cancelled) may still fail later
        return timeout == Timeout.InfiniteTimeSpan ? t.WaitAsync(token) : t.WaitAsync(timeout, token);
    }

    private static void Observe(Task t) => t.ContinueWith(static x => _ = x.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
