using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Cluster;

/// <summary>
/// The training kernel K(X, X) held on a cluster in row blocks, one per <see cref="IKernelRowBlockGrain"/> spread over the silos, and
/// applied to vectors there (docs/CLUSTER.md, "Distributed conjugate gradient"): <see cref="Multiply"/> sends V (n×k) to every block
/// and writes each block's rows×k answer at its rows, so the conjugate-gradient solver
/// (<c>IterativeKernelRegression.FitOperator(op.Multiply, …)</c>) runs on a kernel that is never gathered in one place. A block whose
/// call failed in transit (its silo died, a timeout) is loaded again on a fresh activation and its product sent again (products are
/// idempotent); a block that answers "not loaded" (re-activated, collected) is loaded again in place. The result does not depend on
/// which silo answers first: each block fills its own rows.
/// </summary>
public sealed class ClusterKernelOperator : IAsyncDisposable
{
    /// <summary>The most bytes of kernel one block holds by default (1 GiB) when the job gives no memory budget.</summary>
    public const long DefaultMaxBlockBytes = 1L << 30;

    private readonly IGrainFactory _grains;
    private readonly TileJob _job;
    private readonly double[] _inputs;
    private readonly int[] _generation;
    private readonly bool[] _loaded;
    private readonly bool[] _everLoaded;
    private readonly string[] _silos;
    private readonly CancellationToken _token;
    private long _products;
    private long _loads;
    private long _reloads;

    /// <summary>An operator for K(<paramref name="x"/>, <paramref name="x"/>) in blocks of <paramref name="blockRows"/> rows (nothing is sent before <see cref="LoadAsync"/>).</summary>
    /// <param name="grains">A connected client (<see cref="IClusterClient"/>) or a silo's grain factory.</param>
    /// <param name="kernel">The kernel: a network's kernel or a classical kernel (<see cref="ClusterKernelSpec.From"/>).</param>
    /// <param name="x">The training inputs (n×d), sent to every block.</param>
    /// <param name="blockRows">The rows of one block, ≥ 1 (the last block may be shorter).</param>
    /// <param name="options">In flight, timeouts, attempts, threads per block.</param>
    /// <param name="compute">Provider, tile size and memory budget of each block (sent to the silos: a block refuses to exceed the budget), and cancellation.</param>
    /// <exception cref="NotSupportedException">A kernel that cannot be sent to the silos.</exception>
    public ClusterKernelOperator(IGrainFactory grains, IKernel kernel, Matrix x, int blockRows, ClusterJobOptions? options = null, ComputeOptions? compute = null)
    {
        _grains = grains ?? throw new ArgumentNullException(nameof(grains));
        Kernel = kernel ?? throw new ArgumentNullException(nameof(kernel));
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        if (x.Rows < 1 || x.Cols < 1) throw new ArgumentException($"The training inputs are {x.Shape}; a distributed kernel needs at least one row and one feature.", nameof(x));
        Options = options ?? new ClusterJobOptions();
        compute ??= ComputeOptions.Default;
        _token = compute.CancellationToken;
        _job = new TileJob
        {
            Kernel = ClusterKernelSpec.From(kernel),
            TileSize = compute.TileSize,
            ThreadsPerChunk = Math.Max(1, Options.ThreadsPerChunk),
            Provider = compute.Provider?.Name,
            MemoryBudget = compute.MemoryBudget,
        };
        Inputs = x;
        _inputs = x.Data.ToArray();
        BlockRows = Math.Min(blockRows, x.Rows);
        int count = (x.Rows + BlockRows - 1) / BlockRows;
        Blocks = Enumerable.Range(0, count).Select(b => (b * BlockRows, Math.Min(BlockRows, x.Rows - b * BlockRows))).ToArray();
        _generation = new int[count];
        _loaded = new bool[count];
        _everLoaded = new bool[count];
        _silos = new string[count];
    }

    /// <summary>
    /// Connects an operator to the cluster with the default block size (<see cref="DefaultBlockRows"/> from the cluster's silos and
    /// cores) and loads its blocks.
    /// </summary>
    /// <exception cref="NotSupportedException">A kernel that cannot be sent to the silos.</exception>
    /// <exception cref="InsufficientMemoryException">A block does not fit on its silo (or in the memory budget).</exception>
    /// <exception cref="IOException">A block failed in transit <see cref="ClusterJobOptions.MaxAttempts"/> times.</exception>
    /// <param name="grains">A connected client.</param>
    /// <param name="kernel">The kernel.</param>
    /// <param name="x">The training inputs (n×d).</param>
    /// <param name="options">In flight, timeouts, attempts.</param>
    /// <param name="compute">Provider, tile size and memory budget of each block (also the bound of the default block size), cancellation,
    /// and progress (blocks loaded).</param>
    public static async Task<ClusterKernelOperator> CreateAsync(IGrainFactory grains, IKernel kernel, Matrix x, ClusterJobOptions? options = null, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(x);
        ClusterKernelSpec.From(kernel);   // a kernel that cannot travel is refused before anything is asked of the cluster
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).ConfigureAwait(false);
        int cores = await grains.GetGrain<IKernelTileGrain>(0).CoresAsync().ConfigureAwait(false);
        int silos = Math.Max(1, hosts.Count);
        var op = new ClusterKernelOperator(grains, kernel, x, DefaultBlockRows(x.Rows, silos, silos * Math.Max(1, cores), compute?.MemoryBudget), options, compute);
        try
        {
            await op.LoadAsync(compute?.Progress).ConfigureAwait(false);
        }
        catch
        {
            await op.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return op;
    }

    /// <summary>
    /// The default rows of a block for n training rows: about one block per core of the cluster (at least one per silo), each holding at
    /// most <paramref name="maxBlockBytes"/> (the job's memory budget; else <see cref="DefaultMaxBlockBytes"/>) of kernel, 8·rows·n bytes.
    /// </summary>
    public static int DefaultBlockRows(int n, int silos, int cores, long? maxBlockBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        int blocks = Math.Max(Math.Max(1, silos), cores);
        int rows = (n + blocks - 1) / blocks;
        long bound = maxBlockBytes ?? DefaultMaxBlockBytes;
        long byMemory = Math.Max(1, bound / (8L * n));
        return (int)Math.Max(1, Math.Min(rows, byMemory));
    }

    /// <summary>The kernel.</summary>
    public IKernel Kernel { get; }

    /// <summary>The training inputs X (n×d).</summary>
    public Matrix Inputs { get; }

    /// <summary>In flight, timeouts, attempts.</summary>
    public ClusterJobOptions Options { get; }

    /// <summary>The rows of a block (the last may be shorter).</summary>
    public int BlockRows { get; }

    /// <summary>The blocks: first row and rows, in order.</summary>
    public IReadOnlyList<(int RowStart, int Rows)> Blocks { get; }

    /// <summary>The job's id (the first part of every block's grain key).</summary>
    public Guid JobId { get; } = Guid.NewGuid();

    /// <summary>The size n of the operator.</summary>
    public int Size => Inputs.Rows;

    /// <summary>Operator products <see cref="Multiply"/> has computed (each one product with every block).</summary>
    public long Products => Interlocked.Read(ref _products);

    /// <summary>Blocks loaded, first loads and reloads together.</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <summary>Blocks loaded again after their first load: after a call failed in transit (a silo died, a timeout) or an activation answered "not loaded".</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>The silo that last loaded each block (<see cref="RowBlockLoaded.Silo"/>; null before its load).</summary>
    public IReadOnlyList<string?> Silos => _silos;

    /// <summary>The diagonal of K, computed here from <see cref="IKernel.Diagonal"/> (no call to the cluster).</summary>
    public double[] Diagonal() => Kernel.Diagonal(Inputs);

    /// <summary>The trace of K (the diagonal summed in order), for a relative ridge.</summary>
    public double Trace()
    {
        double t = 0;
        foreach (double d in Diagonal()) t += d;
        return t;
    }

    /// <summary>Loads every block not loaded yet (each computes its rows of K on its silo), retrying failures in transit.</summary>
    /// <param name="progress">Reports the blocks loaded (stage "load"), or null.</param>
    /// <exception cref="InsufficientMemoryException">A block does not fit on its silo (or in the memory budget).</exception>
    /// <exception cref="IOException">A block failed in transit <see cref="ClusterJobOptions.MaxAttempts"/> times.</exception>
    public Task LoadAsync(IProgress<ProgressInfo>? progress = null)
    {
        var todo = Enumerable.Range(0, Blocks.Count).Where(b => !_loaded[b]).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int done = 0;
        return ClusterDispatcher.RunAsync(todo,
            async (b, attempt) =>
            {
                if (attempt > 0) MoveToFreshActivation(b);
                await LoadBlockAsync(b).ConfigureAwait(false);
                return true;
            },
            (_, _) => progress?.Report(new ProgressInfo(++done, todo.Count, "load", clock.Elapsed)), InFlight(), Options, Describe, _token);
    }

    /// <summary><paramref name="into"/> = K·<paramref name="v"/> (both n×k): V goes to every block, each block's rows come back into their place.</summary>
    /// <exception cref="ArgumentException">V or into is not n×k.</exception>
    /// <exception cref="IOException">A block failed in transit <see cref="ClusterJobOptions.MaxAttempts"/> times.</exception>
    public void Multiply(Matrix v, Matrix into) => MultiplyAsync(v, into).GetAwaiter().GetResult();

    /// <summary>The asynchronous form of <see cref="Multiply"/>.</summary>
    public async Task MultiplyAsync(Matrix v, Matrix into)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(into);
        int n = Size, k = v.Cols;
        if (v.Rows != n || into.Rows != n || into.Cols != k || k < 1)
            throw new ArgumentException($"The distributed kernel is {n}×{n}: V must be {n}×k and into {n}×k; got V {v.Shape} and into {into.Shape}.", nameof(v));
        var values = v.Data.ToArray();   // one copy, sent to every block (the caller may reuse V once this returns)
        await ClusterDispatcher.RunAsync(Enumerable.Range(0, Blocks.Count).ToList(),
            (b, attempt) => ProductAsync(b, attempt, k, values),
            (b, rows) =>
            {
                var (start, count) = Blocks[b];
                if (rows.Length != count * k)
                    throw new InvalidDataException($"Row block {b} returned {rows.Length} values for {count}×{k}; the silos run another version of Tangent.");
                Array.Copy(rows, 0, into.Data, (long)start * k, rows.Length);
            },
            InFlight(), Options, Describe, _token).ConfigureAwait(false);
        Interlocked.Increment(ref _products);
    }

    /// <summary>Releases every block (each drops its data and deactivates); a block on a silo that is gone is skipped.</summary>
    public async ValueTask DisposeAsync()
    {
        var calls = Enumerable.Range(0, Blocks.Count).Where(b => _silos[b] is not null).Select(b => ReleaseQuietlyAsync(Grain(b)));
        await Task.WhenAll(calls).ConfigureAwait(false);
        Array.Clear(_loaded);
    }

    private async Task<double[]> ProductAsync(int b, int attempt, int k, double[] v)
    {
        if (attempt > 0) MoveToFreshActivation(b);
        if (!_loaded[b]) await LoadBlockAsync(b).ConfigureAwait(false);
        var answer = await Grain(b).MultiplyAsync(k, v).ConfigureAwait(false);
        if (answer.Loaded) return answer.Values;
        // The activation holds nothing (re-activated or collected): load it again in place, then multiply.
        _loaded[b] = false;
        await LoadBlockAsync(b).ConfigureAwait(false);
        answer = await Grain(b).MultiplyAsync(k, v).ConfigureAwait(false);
        return answer.Loaded ? answer.Values : throw new InvalidOperationException($"Row block {b} was loaded but answers that it holds nothing; the silos run another version of Tangent.");
    }

    private async Task LoadBlockAsync(int b)
    {
        var (start, rows) = Blocks[b];
        var request = new RowBlockRequest { Job = _job, Block = b, RowStart = start, Rows = rows, Features = Inputs.Cols, Inputs = _inputs };
        var loaded = await Grain(b).LoadAsync(request).ConfigureAwait(false);
        Interlocked.Increment(ref _loads);
        if (_everLoaded[b]) Interlocked.Increment(ref _reloads);
        _everLoaded[b] = true;
        _silos[b] = loaded.Silo;
        _loaded[b] = true;
    }

    /// <summary>After a failure in transit the block goes to a new grain (its silo may be gone); the old activation, if still alive, is released.</summary>
    private void MoveToFreshActivation(int b)
    {
        if (_silos[b] is not null) _ = ReleaseQuietlyAsync(Grain(b));
        _generation[b]++;
        _loaded[b] = false;
    }

    private static async Task ReleaseQuietlyAsync(IKernelRowBlockGrain grain)
    {
        try
        {
            await grain.ReleaseAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (ClusterDispatcher.IsTransient(e))
        {
            // The silo is gone (its data with it) or does not answer: nothing to release.
        }
    }

    private IKernelRowBlockGrain Grain(int b) =>
        _grains.GetGrain<IKernelRowBlockGrain>(JobId, $"{b}/{_generation[b]}", null);

    private int InFlight() => Math.Max(1, Options.MaxInFlight ?? Blocks.Count);

    private string Describe(int b) => $"row block {b} (rows {Blocks[b].RowStart + 1}..{Blocks[b].RowStart + Blocks[b].Rows})";
}
