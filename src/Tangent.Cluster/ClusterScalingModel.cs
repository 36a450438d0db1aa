namespace Tangent.Cluster;

/// <summary>The stage that limits a cluster's throughput in <see cref="ClusterScalingModel"/>.</summary>
public enum ClusterBottleneck
{
    /// <summary>The silos' cores: adding machines still helps.</summary>
    Compute,

    /// <summary>The coordinator taking in and writing chunks (receive, checksum, atomic write of the chunk and its mirror).</summary>
    Coordinator,

    /// <summary>The network into the coordinator (every chunk's values and inputs pass through it).</summary>
    Network,

    /// <summary>The write bandwidth of the disk that holds the store.</summary>
    Disk,
}

/// <summary>The steady-state throughput of <see cref="ClusterScalingModel"/> on a number of machines: the rate of each stage and the least of them.</summary>
/// <param name="Machines">The machines (one silo each).</param>
/// <param name="ChunksPerSecond">The throughput: the least of the four rates.</param>
/// <param name="Limit">The stage with that least rate (on a tie, the first of compute, coordinator, network, disk).</param>
/// <param name="ComputeRate">Machines · cores / (t_c + latency): the chunks per second the silos' cores compute.</param>
/// <param name="CoordinatorRate">1 / t_w: the chunks per second the coordinator takes in and writes.</param>
/// <param name="NetworkRate">Network bandwidth / bytes per chunk on the wire.</param>
/// <param name="DiskRate">Disk bandwidth / bytes written per chunk.</param>
public sealed record ClusterThroughput(int Machines, double ChunksPerSecond, ClusterBottleneck Limit, double ComputeRate, double CoordinatorRate, double NetworkRate, double DiskRate);

/// <summary>
/// A model of a kernel store's throughput on a cluster against the number of machines (docs/CLUSTER.md, "The scaling model"), built
/// from costs measured on one machine and assumptions named as parameters. The coordinator keeps about one chunk in flight per core
/// (<c>ClusterKernelJob</c>; this file is also compiled into benchmarks/Tangent.Benchmarks, so it names no other type of Tangent.Cluster), so a core is busy t_c + latency per chunk, and every chunk passes through the coordinator once.
/// The steady-state rate on M machines is
/// <c>min(M · cores / (t_c + L), 1 / t_w, network / (8c² + 16cd), disk / (w · 8c²))</c> chunks per second, where w is 2 for a
/// symmetric store (each chunk off the diagonal is written with its mirror) and 1 otherwise. The model is a bound, not a
/// simulation: it leaves out a silo's own memory and network limits, edge chunks smaller than c·c, the smaller diagonal chunks
/// (one block of inputs, no mirror) and Orleans' own overhead beyond the per-call latency, so the measured t_c and t_w should be
/// averages over a real run.
/// </summary>
public sealed class ClusterScalingModel
{
    /// <summary>A model from measured per-chunk costs and the assumed machines, network and disk.</summary>
    /// <param name="chunkCoreSeconds">t_c: seconds one core takes to compute one chunk (measured; &gt; 0).</param>
    /// <param name="coordinatorSecondsPerChunk">t_w: the coordinator's seconds to take in and write one chunk — receive, checksum, atomic write of the chunk and its mirror (measured; &gt; 0).</param>
    /// <param name="chunkEdge">c: the store's chunk edge (the chunk is c×c).</param>
    /// <param name="features">d: the input dimension (a chunk's request carries its two blocks of c×d inputs).</param>
    /// <param name="coresPerMachine">The cores of one machine, all used by its silo (assumed).</param>
    /// <param name="networkBytesPerSecond">The network bandwidth into the coordinator in bytes per second (assumed; <see cref="double.PositiveInfinity"/> for no limit; <see cref="GigabitsPerSecond"/> converts).</param>
    /// <param name="diskBytesPerSecond">The write bandwidth of the store's disk in bytes per second (assumed; <see cref="double.PositiveInfinity"/> for no limit).</param>
    /// <param name="callLatencySeconds">L: the round trip of one call beyond its transfer and compute (measured or assumed; ≥ 0).</param>
    /// <param name="symmetric">True for a store of K(X, X), whose chunks off the diagonal are written twice (chunk and mirror).</param>
    /// <exception cref="ArgumentOutOfRangeException">A cost, size or bandwidth that is not positive (latency: negative) or not a number; a measured cost that is infinite.</exception>
    public ClusterScalingModel(double chunkCoreSeconds, double coordinatorSecondsPerChunk, int chunkEdge, int features, int coresPerMachine,
        double networkBytesPerSecond, double diskBytesPerSecond, double callLatencySeconds = 0, bool symmetric = true)
    {
        Positive(chunkCoreSeconds, nameof(chunkCoreSeconds), "The core-seconds per chunk t_c", finite: true);
        Positive(coordinatorSecondsPerChunk, nameof(coordinatorSecondsPerChunk), "The coordinator's seconds per chunk t_w", finite: true);
        Positive(networkBytesPerSecond, nameof(networkBytesPerSecond), "The network bandwidth (bytes per second; PositiveInfinity for no limit)", finite: false);
        Positive(diskBytesPerSecond, nameof(diskBytesPerSecond), "The disk write bandwidth (bytes per second; PositiveInfinity for no limit)", finite: false);
        if (!(callLatencySeconds >= 0) || double.IsInfinity(callLatencySeconds))
            throw new ArgumentOutOfRangeException(nameof(callLatencySeconds), $"The call latency {callLatencySeconds} s is not a finite number ≥ 0; give the measured round trip of one call in seconds (0 to leave it out).");
        if (chunkEdge < 1)
            throw new ArgumentOutOfRangeException(nameof(chunkEdge), $"The chunk edge {chunkEdge} is not positive; give the store's chunk edge c (default 1024).");
        if (features < 1)
            throw new ArgumentOutOfRangeException(nameof(features), $"The input dimension {features} is not positive; give d, the columns of X.");
        if (coresPerMachine < 1)
            throw new ArgumentOutOfRangeException(nameof(coresPerMachine), $"The cores per machine {coresPerMachine} is not positive; give the cores of one machine (its silo uses every core).");
        ChunkCoreSeconds = chunkCoreSeconds;
        CoordinatorSecondsPerChunk = coordinatorSecondsPerChunk;
        ChunkEdge = chunkEdge;
        Features = features;
        CoresPerMachine = coresPerMachine;
        NetworkBytesPerSecond = networkBytesPerSecond;
        DiskBytesPerSecond = diskBytesPerSecond;
        CallLatencySeconds = callLatencySeconds;
        Symmetric = symmetric;
    }

    /// <summary>t_c: seconds one core takes to compute one chunk.</summary>
    public double ChunkCoreSeconds { get; }

    /// <summary>t_w: the coordinator's seconds to take in and write one chunk.</summary>
    public double CoordinatorSecondsPerChunk { get; }

    /// <summary>c: the chunk edge.</summary>
    public int ChunkEdge { get; }

    /// <summary>d: the input dimension.</summary>
    public int Features { get; }

    /// <summary>The cores of one machine.</summary>
    public int CoresPerMachine { get; }

    /// <summary>The network bandwidth into the coordinator, bytes per second.</summary>
    public double NetworkBytesPerSecond { get; }

    /// <summary>The store's disk write bandwidth, bytes per second.</summary>
    public double DiskBytesPerSecond { get; }

    /// <summary>L: the round trip of one call beyond its transfer and compute, seconds.</summary>
    public double CallLatencySeconds { get; }

    /// <summary>True for a symmetric store (chunk and mirror written).</summary>
    public bool Symmetric { get; }

    /// <summary>Bytes of one chunk on the wire: its values back (8c²) and its two blocks of inputs out (2·c·d·8).</summary>
    public double WireBytesPerChunk => 8.0 * ChunkEdge * ChunkEdge + 2.0 * ChunkEdge * Features * 8;

    /// <summary>Bytes written to the store per chunk: 8c², twice for a symmetric store (the mirror).</summary>
    public double DiskBytesPerChunk => (Symmetric ? 2 : 1) * 8.0 * ChunkEdge * ChunkEdge;

    /// <summary>Bytes per second for a network of <paramref name="gigabits"/> Gbit/s (10 → 1.25e9).</summary>
    public static double GigabitsPerSecond(double gigabits) => gigabits * 1e9 / 8;

    /// <summary>The chunks of a store: ⌈n1/c⌉·⌈n2/c⌉, or for K(X, X) (<paramref name="n2"/> null) the upper ones, k(k + 1)/2 with k = ⌈n1/c⌉.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or chunk edge that is not positive.</exception>
    public static long ChunkCount(long n1, long? n2, int chunkEdge)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkEdge, 1);
        long k1 = (n1 + chunkEdge - 1) / chunkEdge;
        if (n2 is not { } m) return k1 * (k1 + 1) / 2;
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1, nameof(n2));
        return k1 * ((m + chunkEdge - 1) / chunkEdge);
    }

    /// <summary>The steady-state throughput on <paramref name="machines"/> machines and the stage that limits it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="machines"/> is not positive.</exception>
    public ClusterThroughput Throughput(int machines)
    {
        CheckMachines(machines);
        double compute = ComputeRate(machines), coordinator = 1 / CoordinatorSecondsPerChunk;
        double network = NetworkBytesPerSecond / WireBytesPerChunk, disk = DiskBytesPerSecond / DiskBytesPerChunk;
        var limit = ClusterBottleneck.Compute;
        double rate = compute;
        if (coordinator < rate) (rate, limit) = (coordinator, ClusterBottleneck.Coordinator);
        if (network < rate) (rate, limit) = (network, ClusterBottleneck.Network);
        if (disk < rate) (rate, limit) = (disk, ClusterBottleneck.Disk);
        return new ClusterThroughput(machines, rate, limit, compute, coordinator, network, disk);
    }

    /// <summary>The steady-state speed-up over one machine: throughput(M) / throughput(1); M while compute limits, then flat.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="machines"/> is not positive.</exception>
    public double SpeedUp(int machines) => Throughput(machines).ChunksPerSecond / Throughput(1).ChunksPerSecond;

    /// <summary>
    /// The fewest machines at which the steady-state throughput stops growing: the least M whose compute rate reaches the least of
    /// the coordinator, network and disk rates, ⌈min(other rates) · (t_c + L) / cores⌉. From there on another machine adds nothing.
    /// </summary>
    public int SaturationMachines()
    {
        var one = Throughput(1);
        double cap = Math.Min(one.CoordinatorRate, Math.Min(one.NetworkRate, one.DiskRate));
        double estimate = Math.Ceiling(cap * (ChunkCoreSeconds + CallLatencySeconds) / CoresPerMachine);
        if (estimate >= int.MaxValue) return int.MaxValue;
        int m = Math.Max(1, (int)estimate);
        while (m > 1 && ComputeRate(m - 1) >= cap) m--;   // the estimate's round-off, either way
        while (ComputeRate(m) < cap) m++;
        return m;
    }

    /// <summary>
    /// The wall time for <paramref name="chunks"/> chunks on <paramref name="machines"/> machines: the largest of four lower bounds,
    /// each the busy time of one stage plus what the pipeline adds to it —
    /// compute ⌈T/(M·cores)⌉·(t_c + L) + t_w (waves of one chunk per core; the last chunk still has to be written),
    /// coordinator T·t_w + t_c + L, network T·bytes/bandwidth + t_c + L, disk T·bytes/bandwidth + t_c + L (the first chunk has to be
    /// computed before the others have work).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="machines"/> or <paramref name="chunks"/> is not positive.</exception>
    public double WallSeconds(int machines, long chunks) => WallTime(machines, chunks).Seconds;

    /// <summary>The wall time of <see cref="WallSeconds"/> and the stage whose bound it is (on a tie, the first of compute, coordinator, network, disk).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="machines"/> or <paramref name="chunks"/> is not positive.</exception>
    public (double Seconds, ClusterBottleneck Limit) WallTime(int machines, long chunks)
    {
        CheckMachines(machines);
        if (chunks < 1)
            throw new ArgumentOutOfRangeException(nameof(chunks), $"The chunk count {chunks} is not positive; give the store's chunks (ClusterScalingModel.ChunkCount).");
        double perChunk = ChunkCoreSeconds + CallLatencySeconds;
        double waves = Math.Ceiling(chunks / ((double)machines * CoresPerMachine));
        double seconds = waves * perChunk + CoordinatorSecondsPerChunk;
        var limit = ClusterBottleneck.Compute;
        double coordinator = chunks * CoordinatorSecondsPerChunk + perChunk;
        double network = chunks * WireBytesPerChunk / NetworkBytesPerSecond + perChunk;
        double disk = chunks * DiskBytesPerChunk / DiskBytesPerSecond + perChunk;
        if (coordinator > seconds) (seconds, limit) = (coordinator, ClusterBottleneck.Coordinator);
        if (network > seconds) (seconds, limit) = (network, ClusterBottleneck.Network);
        if (disk > seconds) (seconds, limit) = (disk, ClusterBottleneck.Disk);
        return (seconds, limit);
    }

    /// <summary>
    /// The fewest machines beyond which the wall time for <paramref name="chunks"/> chunks no longer falls: either the stage after the
    /// silos limits, or there are more cores than chunks (one wave).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunks"/> is not positive.</exception>
    public int SaturationMachines(long chunks)
    {
        long oneWave = (chunks + CoresPerMachine - 1) / CoresPerMachine;   // machines that give every chunk its own core
        int hi = (int)Math.Min(int.MaxValue, Math.Max(1, oneWave));
        double floor = WallSeconds(hi, chunks);
        int lo = 1;
        while (lo < hi)   // the wall time does not rise with M, so the least M at the floor is found by bisection
        {
            int mid = lo + (hi - lo) / 2;
            if (WallSeconds(mid, chunks) <= floor) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    private double ComputeRate(int machines) => (double)machines * CoresPerMachine / (ChunkCoreSeconds + CallLatencySeconds);

    private static void CheckMachines(int machines)
    {
        if (machines < 1)
            throw new ArgumentOutOfRangeException(nameof(machines), $"The machine count {machines} is not positive; give 1 or more.");
    }

    private static void Positive(double value, string name, string what, bool finite)
    {
        if (!(value > 0) || (finite && double.IsInfinity(value)))
            throw new ArgumentOutOfRangeException(name, $"{what} is {value}, not a positive {(finite ? "finite " : "")}number; give the measured or assumed value.");
    }
}
