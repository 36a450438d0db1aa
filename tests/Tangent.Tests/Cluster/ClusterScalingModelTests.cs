using Tangent.Cluster;

namespace Tangent.Tests.Cluster;

public class ClusterScalingModelTests
{
    // Case A, by hand: t_c = 8 s, 4 cores → compute 0.5·M chunks/s; t_w = 0.05 s → coordinator 20/s;
    // c = 1000, d = 10 → 8e6 + 1.6e5 = 8.16e6 bytes on the wire, 10 Gbit/s = 1.25e9 B/s → 153.19/s;
    // symmetric → 1.6e7 bytes written per chunk, 1.6e9 B/s → 100/s. The coordinator limits from M = 40.
    private static ClusterScalingModel CaseA() =>
        new(chunkCoreSeconds: 8, coordinatorSecondsPerChunk: 0.05, chunkEdge: 1000, features: 10, coresPerMachine: 4,
            networkBytesPerSecond: ClusterScalingModel.GigabitsPerSecond(10), diskBytesPerSecond: 1.6e9);

    [Fact]
    public void EachStageRateIsComputedByHand()
    {
        var m = CaseA();
        Assert.Equal(8.16e6, m.WireBytesPerChunk);
        Assert.Equal(1.6e7, m.DiskBytesPerChunk);
        var t = m.Throughput(3);
        Assert.Equal(1.5, t.ComputeRate, 12);
        Assert.Equal(20, t.CoordinatorRate, 12);
        Assert.Equal(1.25e9 / 8.16e6, t.NetworkRate, 9);
        Assert.Equal(100, t.DiskRate, 12);
        Assert.Equal(1.5, t.ChunksPerSecond, 12);
        Assert.Equal(ClusterBottleneck.Compute, t.Limit);
    }

    [Fact]
    public void TheCoordinatorTakesOverAtTheMachineWhereComputeReachesIt()
    {
        var m = CaseA();
        Assert.Equal(ClusterBottleneck.Compute, m.Throughput(39).Limit);
        Assert.Equal(19.5, m.Throughput(39).ChunksPerSecond, 12);
        Assert.Equal(ClusterBottleneck.Compute, m.Throughput(40).Limit);   // a tie: compute is named first
        Assert.Equal(ClusterBottleneck.Coordinator, m.Throughput(41).Limit);
        Assert.Equal(20, m.Throughput(64).ChunksPerSecond, 12);
        Assert.Equal(40, m.SaturationMachines());
    }

    [Fact]
    public void SpeedUpIsLinearThenFlat()
    {
        var m = CaseA();
        for (int machines = 1; machines <= 80; machines++)
            Assert.Equal(Math.Min(machines, 40), m.SpeedUp(machines), 9);
    }

    [Fact]
    public void TheNetworkLimitsWhenItIsTheNarrowestAndLatencyKeepsCoresWaiting()
    {
        // c = 500, d = 125: 8·500² + 2·500·125·8 = 2e6 + 1e6 = 3e6 bytes on the wire; 1.2e8 B/s → 40 chunks/s.
        // t_c = 2 s plus 0.5 s latency on 8 cores → 3.2·M chunks/s: 38.4 at M = 12, 41.6 at M = 13.
        var m = new ClusterScalingModel(2, 0.001, 500, 125, 8, networkBytesPerSecond: 1.2e8, diskBytesPerSecond: 2e9, callLatencySeconds: 0.5);
        Assert.Equal(3e6, m.WireBytesPerChunk);
        Assert.Equal(ClusterBottleneck.Compute, m.Throughput(12).Limit);
        Assert.Equal(38.4, m.Throughput(12).ChunksPerSecond, 9);
        Assert.Equal(ClusterBottleneck.Network, m.Throughput(13).Limit);
        Assert.Equal(40, m.Throughput(13).ChunksPerSecond, 9);
        Assert.Equal(13, m.SaturationMachines());
        Assert.Equal(40 / 3.2, m.SpeedUp(64), 9);
    }

    [Fact]
    public void TheMirrorOfASymmetricStoreDoublesTheDiskTerm()
    {
        // 8c² = 8e6 bytes; disk 8e8 B/s → 50 chunks/s with the mirror, 100 without; the coordinator (t_w = 0.0125 s) does 80.
        var symmetric = new ClusterScalingModel(1, 0.0125, 1000, 10, 16, double.PositiveInfinity, 8e8);
        var rectangular = new ClusterScalingModel(1, 0.0125, 1000, 10, 16, double.PositiveInfinity, 8e8, symmetric: false);
        Assert.Equal(ClusterBottleneck.Disk, symmetric.Throughput(64).Limit);
        Assert.Equal(50, symmetric.Throughput(64).ChunksPerSecond, 12);
        Assert.Equal(4, symmetric.SaturationMachines());   // 16 cores per machine, 1 s per chunk: 64 ≥ 50 at M = 4
        Assert.Equal(ClusterBottleneck.Coordinator, rectangular.Throughput(64).Limit);
        Assert.Equal(80, rectangular.Throughput(64).ChunksPerSecond, 12);
        Assert.Equal(double.PositiveInfinity, symmetric.Throughput(1).NetworkRate);
    }

    [Fact]
    public void WallTimeIsTheLargestStageBoundByHand()
    {
        var m = CaseA();
        // T = 1000, M = 1: 250 waves of 8 s + t_w 0.05 = 2000.05 (coordinator 1000·0.05 + 8 = 58; network 6.528 + 8; disk 10 + 8).
        var one = m.WallTime(1, 1000);
        Assert.Equal(2000.05, one.Seconds, 9);
        Assert.Equal(ClusterBottleneck.Compute, one.Limit);
        // M = 250: one wave (8.05 s), so the coordinator's 58 s is the bound.
        var many = m.WallTime(250, 1000);
        Assert.Equal(58, many.Seconds, 9);
        Assert.Equal(ClusterBottleneck.Coordinator, many.Limit);
        // ⌈250/M⌉·8 + 0.05 ≤ 58 first at M = 36 (⌈6.94⌉ = 7 → 56.05); M = 35 gives 8 waves, 64.05 s.
        Assert.Equal(64.05, m.WallSeconds(35, 1000), 9);
        Assert.Equal(58, m.WallSeconds(36, 1000), 9);
        Assert.Equal(36, m.SaturationMachines(1000));
    }

    [Fact]
    public void MoreCoresThanChunksStopTheScaling()
    {
        // T = 10 chunks on 4 cores a machine: from M = 3 every chunk has its own core.
        var m = new ClusterScalingModel(8, 0.001, 1000, 10, 4, double.PositiveInfinity, double.PositiveInfinity);
        Assert.Equal(16.001, m.WallSeconds(2, 10), 9);
        Assert.Equal(8.01, m.WallSeconds(3, 10), 9);   // the coordinator's 10·0.001 after the first chunk's 8 s
        Assert.Equal(m.WallSeconds(3, 10), m.WallSeconds(64, 10));
        Assert.Equal(3, m.SaturationMachines(10));
        Assert.Equal(2000, m.SaturationMachines());   // in steady state the coordinator's 1000/s need 2000 machines of 4 cores at 8 s
    }

    [Fact]
    public void CountsTheChunksOfAStore()
    {
        Assert.Equal(1225, ClusterScalingModel.ChunkCount(50_000, null, 1024));   // k = 49: 49·50/2
        Assert.Equal(1, ClusterScalingModel.ChunkCount(10, null, 1024));
        Assert.Equal(6, ClusterScalingModel.ChunkCount(3000, 1500, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterScalingModel.ChunkCount(0, null, 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterScalingModel.ChunkCount(10, 0, 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterScalingModel.ChunkCount(10, null, 0));
    }

    [Theory]
    [InlineData(0, 0.05, 1000, 10, 4, 1e9, 1e9, 0, "chunkCoreSeconds")]
    [InlineData(double.NaN, 0.05, 1000, 10, 4, 1e9, 1e9, 0, "chunkCoreSeconds")]
    [InlineData(double.PositiveInfinity, 0.05, 1000, 10, 4, 1e9, 1e9, 0, "chunkCoreSeconds")]
    [InlineData(8, -0.05, 1000, 10, 4, 1e9, 1e9, 0, "coordinatorSecondsPerChunk")]
    [InlineData(8, double.PositiveInfinity, 1000, 10, 4, 1e9, 1e9, 0, "coordinatorSecondsPerChunk")]
    [InlineData(8, 0.05, 0, 10, 4, 1e9, 1e9, 0, "chunkEdge")]
    [InlineData(8, 0.05, 1000, 0, 4, 1e9, 1e9, 0, "features")]
    [InlineData(8, 0.05, 1000, 10, 0, 1e9, 1e9, 0, "coresPerMachine")]
    [InlineData(8, 0.05, 1000, 10, 4, 0, 1e9, 0, "networkBytesPerSecond")]
    [InlineData(8, 0.05, 1000, 10, 4, double.NaN, 1e9, 0, "networkBytesPerSecond")]
    [InlineData(8, 0.05, 1000, 10, 4, 1e9, -1, 0, "diskBytesPerSecond")]
    [InlineData(8, 0.05, 1000, 10, 4, 1e9, 1e9, -0.001, "callLatencySeconds")]
    [InlineData(8, 0.05, 1000, 10, 4, 1e9, 1e9, double.NaN, "callLatencySeconds")]
    [InlineData(8, 0.05, 1000, 10, 4, 1e9, 1e9, double.PositiveInfinity, "callLatencySeconds")]
    public void RefusesCostsAndSizesThatAreNotPositive(double tc, double tw, int c, int d, int cores, double net, double disk, double latency, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterScalingModel(tc, tw, c, d, cores, net, disk, latency));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("give", e.Message);
    }

    [Fact]
    public void RefusesMachineAndChunkCountsThatAreNotPositive()
    {
        var m = CaseA();
        Assert.Equal("machines", Assert.Throws<ArgumentOutOfRangeException>(() => m.Throughput(0)).ParamName);
        Assert.Equal("machines", Assert.Throws<ArgumentOutOfRangeException>(() => m.SpeedUp(-1)).ParamName);
        Assert.Equal("machines", Assert.Throws<ArgumentOutOfRangeException>(() => m.WallSeconds(0, 10)).ParamName);
        Assert.Equal("chunks", Assert.Throws<ArgumentOutOfRangeException>(() => m.WallSeconds(1, 0)).ParamName);
        Assert.Equal("chunks", Assert.Throws<ArgumentOutOfRangeException>(() => m.SaturationMachines(0)).ParamName);
    }
}
