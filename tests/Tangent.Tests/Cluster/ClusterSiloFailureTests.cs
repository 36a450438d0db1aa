using Orleans.TestingHost;
using Tangent.Cluster;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Tests.Data;
using static Tangent.Tests.Cluster.ClusterTestHelpers;

namespace Tangent.Tests.Cluster;

/// <summary>A silo dies while a store is computed on its own three-silo cluster.</summary>
[Collection(nameof(ClusterCollection))]
public class ClusterSiloFailureTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task StoreIsCompleteAndEqualAfterASiloIsKilledMidRun()
    {
        using var dir = new TempDir();
        var kernel = new NeuralKernel(Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5)"), KernelOutputs.Ntk);
        var x1 = Inputs(120, 6, 9);
        var reference = Reference(dir.File("one.zarr"), kernel, x1, null, 8);
        var store = Make(dir.File("cluster.zarr"), kernel, x1, null, 8);
        TestCluster? cluster = null;
        try
        {
            cluster = await StartAsync(3);
            var victim = cluster.SecondarySilos[0];
            Task? kill = null;
            long chunkEntries = 8 * 8;
            var options = new ComputeOptions
            {
                Progress = new ClusterKernelJobTests.SyncProgress(p =>
                {
                    if (kill is null && p.Done >= 10 * chunkEntries) kill = cluster.KillSiloAsync(victim);
                }),
            };
            var job = new ClusterKernelJob(cluster.Client, new ClusterJobOptions { MaxInFlight = 6, CallTimeout = TimeSpan.FromSeconds(5), RetryDelay = TimeSpan.FromMilliseconds(50) });
            int written = await job.FillAsync(store, kernel, x1, null, StoreShard.All, options);
            Assert.NotNull(kill);
            await kill;
            Assert.DoesNotContain(victim, cluster.GetActiveSilos());
            Assert.Equal(store.Chunks.Count, written);
            Assert.True(store.Verify().Ok);
            SameFiles(reference.Path, store.Path);
        }
        finally
        {
            await StopAsync(cluster);
        }
    }
}
