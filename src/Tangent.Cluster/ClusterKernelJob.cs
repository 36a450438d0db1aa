using System.Diagnostics;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Cluster;

/// <summary>
/// The coordinator of a kernel store computed on a cluster (docs/CLUSTER.md): it sends the store's missing chunks to the worker grains
/// (<see cref="IKernelTileGrain"/>) with about one chunk in flight per core of the cluster, writes each chunk through
/// <see cref="KernelStore.WriteComputed"/> as it arrives, sends again a chunk whose call failed in transit or timed out (a chunk is
/// idempotent by its id), reports progress with the time left, and honours cancellation. The workers compute a chunk with
/// <see cref="KernelStoreWriter.ComputeChunk"/>, so the store has the same bits as one made on one machine; a chunk is either absent
/// or complete, so a coordinator that was stopped or killed resumes like a single-machine run.
/// </summary>
public sealed class ClusterKernelJob
{
    private readonly IGrainFactory _grains;

    /// <summary>A coordinator sending work through <paramref name="grains"/> (a connected <see cref="IClusterClient"/>).</summary>
    public ClusterKernelJob(IGrainFactory grains, ClusterJobOptions? options = null)
    {
        _grains = grains ?? throw new ArgumentNullException(nameof(grains));
        Options = options ?? new ClusterJobOptions();
    }

    /// <summary>In flight, timeouts, attempts.</summary>
    public ClusterJobOptions Options { get; }

    /// <summary>
    /// The chunks to keep in flight: the cores of the cluster's machines (the machines are the distinct addresses of the active
    /// silos, taken to be alike: silos that share a machine share its cores) plus one per machine, so that a core is not idle
    /// while its next chunk travels.
    /// </summary>
    public async Task<int> ClusterCoresAsync()
    {
        var hosts = await _grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).ConfigureAwait(false);
        int machines = Math.Max(1, hosts.Keys.Select(s => s.Endpoint.Address).Distinct().Count());
        int cores = await _grains.GetGrain<IKernelTileGrain>(0).CoresAsync().ConfigureAwait(false);
        return machines * (Math.Max(1, cores) + 1);
    }

    /// <summary>
    /// Computes the missing chunks of <paramref name="shard"/> of <paramref name="store"/> on the cluster (the store must have been made
    /// for these inputs and this kernel: <see cref="KernelStoreWriter.Metadata"/>).
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="kernel">A network's kernel or a classical kernel (<see cref="ClusterKernelSpec.From"/>).</param>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for K(X1, X1).</param>
    /// <param name="shard">Which chunks to compute.</param>
    /// <param name="options">Provider, tile size and memory budget of each chunk (sent to the workers), progress (kernel entries written) and cancellation.</param>
    /// <returns>The number of chunk files written.</returns>
    /// <exception cref="InvalidOperationException">The store was made from other inputs or another kernel.</exception>
    /// <exception cref="NotSupportedException">A kernel that cannot be sent to the silos.</exception>
    /// <exception cref="IOException">A chunk failed in transit <see cref="ClusterJobOptions.MaxAttempts"/> times.</exception>
    public async Task<int> FillAsync(KernelStore store, IKernel kernel, Matrix x1, Matrix? x2, StoreShard shard, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(options);
        var expected = KernelStoreWriter.Metadata(kernel, store.Metadata.Kind, x1, x2, store.Metadata.ChunkSize);
        if (store.Metadata.FirstDifference(expected) is { } diff)
            throw new InvalidOperationException($"The store '{store.Path}' holds another matrix ({diff}, stored vs asked); it is left as is.");
        var job = new TileJob
        {
            Kernel = ClusterKernelSpec.From(kernel),
            TileSize = options.TileSize,
            ThreadsPerChunk = Math.Max(1, Options.ThreadsPerChunk),
            Provider = options.Provider?.Name,
            MemoryBudget = options.MemoryBudget,
        };
        var todo = store.MissingChunks(shard);
        if (todo.Count == 0) return 0;
        int inFlight = Options.MaxInFlight ?? await ClusterCoresAsync().ConfigureAwait(false);
        long total = todo.Sum(c => (long)c.Rows * c.Cols * (store.Metadata.Symmetric && c.Row != c.Col ? 2 : 1));
        long done = 0;
        int written = 0;
        var clock = Stopwatch.StartNew();
        string stage = $"store {store.Metadata.Rows}×{store.Metadata.Cols} on the cluster" + (shard.IsPartial ? $" shard {shard}" : "");
        int chunkCols = (store.Metadata.Cols + store.Metadata.ChunkSize - 1) / store.Metadata.ChunkSize;
        // Chunks are written by up to Writers tasks at once (checksums, file writes and flushes of different chunks overlap on the
        // coordinator's cores); the dispatcher waits for a free writer before it takes the next result, which bounds the memory.
        int writers = Math.Max(1, Options.Writers ?? Environment.ProcessorCount);
        using var slots = new SemaphoreSlim(writers);
        var writes = new List<Task>();
        var report = new Lock();
        Exception? failure = null;
        try
        {
            await ClusterDispatcher.RunAsync(todo,
                (chunk, attempt) =>
                {
                    // The grain key spreads the calls over the gateways (silos); another attempt goes through another key.
                    long key = ((long)chunk.Row * chunkCols + chunk.Col) * Options.MaxAttempts + attempt;
                    return _grains.GetGrain<IKernelTileGrain>(key).ComputeAsync(TileRequest.For(job, chunk, x1, x2));
                },
                (chunk, bytes) =>
                {
                    int count = TileValues.FromBytes(bytes).Length;
                    if (count != chunk.Rows * chunk.Cols)
                        throw new InvalidDataException($"A silo returned {count} values for chunk {chunk.Key} of {chunk.Rows}×{chunk.Cols}; the silos run another version of Tangent.");
                    options.CancellationToken.ThrowIfCancellationRequested();
                    foreach (var w in writes)
                        if (w.IsFaulted) w.GetAwaiter().GetResult();   // a failed write ends the run
                    slots.Wait(options.CancellationToken);
                    writes.Add(Task.Run(() =>
                    {
                        try
                        {
                            int files = store.WriteComputed(chunk, TileValues.FromBytes(bytes));
                            lock (report)
                            {
                                written += files;
                                done += files * (long)count;
                                options.Progress?.Report(new ProgressInfo(done, total, stage, clock.Elapsed));
                            }
                        }
                        finally
                        {
                            slots.Release();
                        }
                    }));
                },
                inFlight, Options, c => $"chunk {c.Key}", options.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        // Whatever ended the run, no write is left running when this returns (each one is atomic: absent or complete).
        try
        {
            await Task.WhenAll(writes).ConfigureAwait(false);
        }
        catch (Exception) when (failure is not null)
        {
            // the run's own failure is the one reported
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return written;
    }
}
