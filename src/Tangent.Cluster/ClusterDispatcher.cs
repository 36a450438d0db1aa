using System.Runtime.ExceptionServices;

namespace Tangent.Cluster;

/// <summary>How a coordinator hands out work to a cluster.</summary>
public sealed record ClusterJobOptions
{
    /// <summary>Calls in flight at once; null = about one per core of the cluster (<see cref="ClusterKernelJob.ClusterCoresAsync"/>).</summary>
    public int? MaxInFlight { get; init; }

    /// <summary>A call that has not answered after this long is abandoned and its item sent again (possibly to another silo).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How many times one item is tried before the job fails.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The pause before an item that failed is sent again (doubled at each further attempt).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The threads one chunk may use on its silo.</summary>
    public int ThreadsPerChunk { get; init; } = 1;

    /// <summary>
    /// A call still unanswered after this many times the slowest answered call so far (and at least
    /// <see cref="StragglerFloor"/>) gets a second copy sent, possibly to another silo; the first answer wins. A silo that
    /// dies without its connections saying so (a killed process whose calls were forwarded, a machine gone from the network)
    /// would otherwise hold its calls until <see cref="CallTimeout"/>. 0 turns it off.
    /// </summary>
    public double StragglerFactor { get; init; } = 8;

    /// <summary>Chunks a kernel coordinator writes to its store at once; null = the coordinator machine's cores.</summary>
    public int? Writers { get; init; }

    /// <summary>The shortest wait before a straggling call is copied.</summary>
    public TimeSpan StragglerFloor { get; init; } = TimeSpan.FromSeconds(10);
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
        var queue = new Queue<(int Index, int Attempt)>(Enumerable.Range(0, items.Count).Select(i => (i, 0)));
        var running = new Dictionary<Task<TResult>, Call>();
        var delayed = new List<(Task Delay, int Index, int Attempt)>();
        var done = new bool[items.Count];
        var copies = Enumerable.Repeat(1, items.Count).ToArray();   // calls of an item queued, in flight or waiting to be sent again
        var slowest = TimeSpan.Zero;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (queue.Count > 0 || running.Count > 0 || delayed.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (queue.Count > 0 && running.Count < maxInFlight)
                {
                    var (index, attempt) = queue.Dequeue();
                    if (done[index]) { copies[index]--; continue; }
                    running[Start(call, items[index], attempt, options.CallTimeout, cancellationToken)] = new Call(index, attempt, clock.Elapsed);
                }
                var waits = new List<Task>(running.Keys);
                waits.AddRange(delayed.Select(d => d.Delay));
                TimeSpan? patience = options.StragglerFactor > 0 && slowest > TimeSpan.Zero
                    ? TimeSpan.FromTicks(Math.Max(options.StragglerFloor.Ticks, (long)(slowest.Ticks * options.StragglerFactor)))
                    : null;
                if (patience is { } p) waits.Add(Task.Delay(TimeSpan.FromSeconds(Math.Clamp(p.TotalSeconds / 4, 0.05, 5)), cancellationToken));
                var finished = await Task.WhenAny(waits).ConfigureAwait(false);
                for (int k = delayed.Count - 1; k >= 0; k--)
                    if (delayed[k].Delay.IsCompleted)
                    {
                        queue.Enqueue((delayed[k].Index, delayed[k].Attempt));
                        delayed.RemoveAt(k);
                    }
                if (patience is { } wait)
                    foreach (var (task, c) in running.ToList())
                        if (!c.Copied && !done[c.Index] && copies[c.Index] == 1 && clock.Elapsed - c.Started > wait && c.Attempt + 1 < options.MaxAttempts)
                        {
                            running[task] = c with { Copied = true };
                            copies[c.Index]++;
                            queue.Enqueue((c.Index, c.Attempt + 1));
                        }
                if (finished is not Task<TResult> completed || !running.Remove(completed, out var entry)) continue;
                copies[entry.Index]--;
                if (completed.IsCompletedSuccessfully)
                {
                    var took = clock.Elapsed - entry.Started;
                    if (took > slowest) slowest = took;
                    if (done[entry.Index]) continue;   // a copy answered first
                    done[entry.Index] = true;
                    foreach (var (task, c) in running.ToList())   // the other copy is abandoned (observed in Start)
                        if (c.Index == entry.Index)
                        {
                            running.Remove(task);
                            copies[c.Index]--;
                        }
                    onResult(items[entry.Index], completed.Result);
                    continue;
                }
                var error = completed.Exception?.InnerException ?? new OperationCanceledException();
                cancellationToken.ThrowIfCancellationRequested();
                if (done[entry.Index]) continue;
                if (!IsTransient(error)) ExceptionDispatchInfo.Capture(error).Throw();
                if (copies[entry.Index] > 0) continue;   // another copy is still on its way
                int next = entry.Attempt + 1;
                if (next >= options.MaxAttempts)
                    throw new IOException($"{describe(items[entry.Index])} failed {next} times on the cluster (last: {error.GetType().Name}: {error.Message.Split('\n')[0]}); check the silos (tangent serve) and run the command again: finished work is kept.", error);
                var pause = options.RetryDelay * Math.Pow(2, entry.Attempt);
                copies[entry.Index]++;
                delayed.Add((Task.Delay(pause, cancellationToken), entry.Index, next));
            }
        }
        finally
        {
            foreach (var t in running.Keys) Observe(t);
        }
    }

    /// <summary>One call in flight: its item, attempt, when it was sent, and whether a copy of it was sent.</summary>
    private readonly record struct Call(int Index, int Attempt, TimeSpan Started, bool Copied = false);

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
