using Tangent.Cluster;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;
using Tangent.Tests.Data;
using static Tangent.Tests.Cluster.ClusterTestHelpers;

namespace Tangent.Tests.Cluster;

[Collection(nameof(ClusterCollection))]
public class ClusterKernelJobTests(ClusterFixture fixture)
{
    private static readonly IKernel DenseNtk = new NeuralKernel(Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5)"), KernelOutputs.Ntk);

    private static readonly ImageShape Images = new(4, 4, 2);

    private static readonly IKernel ConvNtk = new NeuralKernel(Architecture.Parse("conv(size=3,w=1.5,b=0.2) relu flatten dense(w=1.5)").WithInputShape(Images), KernelOutputs.Ntk);

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 17)]
    public async Task DenseKernelOnThreeSilosEqualsTheSingleMachineStoreBitForBit(bool symmetric, int n2)
    {
        using var dir = new TempDir();
        var x1 = Inputs(37, 5, 1);
        Matrix? x2 = symmetric ? null : Inputs(n2, 5, 2);
        var reference = Reference(dir.File("one.zarr"), DenseNtk, x1, x2, 8);
        var store = Make(dir.File("cluster.zarr"), DenseNtk, x1, x2, 8);
        var reports = new List<ProgressInfo>();
        int written = await new ClusterKernelJob(fixture.Cluster.Client).FillAsync(store, DenseNtk, x1, x2, StoreShard.All,
            new ComputeOptions { Progress = new SyncProgress(reports.Add) });
        Assert.Equal(store.Chunks.Count, written);
        Assert.True(store.Verify().Ok);
        SameFiles(reference.Path, store.Path);
        Assert.Equal(store.Metadata.Rows * (long)store.Metadata.Cols, reports[^1].Done);
        Assert.Equal(reports[^1].Total, reports[^1].Done);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.Second.Done > p.First.Done), "progress must grow with every chunk");
    }

    [Fact]
    public async Task ConvolutionalKernelOnThreeSilosEqualsTheSingleMachineStoreBitForBit()
    {
        using var dir = new TempDir();
        var x1 = Inputs(13, Images.Height * Images.Width * Images.Channels, 3);
        var reference = Reference(dir.File("one.zarr"), ConvNtk, x1, null, 4);
        var store = Make(dir.File("cluster.zarr"), ConvNtk, x1, null, 4);
        await new ClusterKernelJob(fixture.Cluster.Client).FillAsync(store, ConvNtk, x1, null, StoreShard.All, ComputeOptions.Default);
        SameFiles(reference.Path, store.Path);
    }

    [Fact]
    public async Task CoordinatorResumesAHalfFilledStoreWritingOnlyTheMissingChunks()
    {
        using var dir = new TempDir();
        var x1 = Inputs(29, 5, 4);
        var reference = Reference(dir.File("one.zarr"), DenseNtk, x1, null, 6);
        var store = Make(dir.File("cluster.zarr"), DenseNtk, x1, null, 6);
        KernelStoreWriter.Fill(store, DenseNtk, x1, null, new StoreShard(0, 2), ComputeOptions.Default);   // half of the chunks, as a stopped run leaves them
        var before = Files(store.Path);
        var missing = store.MissingChunks(StoreShard.All);
        Assert.NotEmpty(missing);
        Assert.True(missing.Count < store.ComputedChunks.Count);
        int expected = missing.Sum(c => c.Row == c.Col ? 1 : 2);
        int written = await new ClusterKernelJob(fixture.Cluster.Client).FillAsync(store, DenseNtk, x1, null, StoreShard.All, ComputeOptions.Default);
        Assert.Equal(expected, written);
        SameFiles(reference.Path, store.Path);
        Assert.All(before, f => Assert.True(f.Value.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(store.Path, f.Key)))));
        Assert.Equal(0, await new ClusterKernelJob(fixture.Cluster.Client).FillAsync(store, DenseNtk, x1, null, StoreShard.All, ComputeOptions.Default));
    }

    [Fact]
    public async Task CoordinatorComputesOnlyItsShard()
    {
        using var dir = new TempDir();
        var x1 = Inputs(20, 3, 5);
        var store = Make(dir.File("cluster.zarr"), DenseNtk, x1, null, 5);
        var shard = new StoreShard(1, 3);
        var mine = store.MissingChunks(shard);
        await new ClusterKernelJob(fixture.Cluster.Client).FillAsync(store, DenseNtk, x1, null, shard, ComputeOptions.Default);
        Assert.Empty(store.MissingChunks(shard));
        Assert.Equal(store.ComputedChunks.Count - mine.Count, store.MissingChunks(StoreShard.All).Count);
    }

    [Fact]
    public async Task CoordinatorRefusesAStoreOfOtherInputs()
    {
        using var dir = new TempDir();
        var store = Make(dir.File("cluster.zarr"), DenseNtk, Inputs(10, 3, 6), null, 5);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new ClusterKernelJob(fixture.Cluster.Client)
            .FillAsync(store, DenseNtk, Inputs(10, 3, 7), null, StoreShard.All, ComputeOptions.Default));
        Assert.Contains("fingerprint", e.Message);
        Assert.Equal(store.ComputedChunks.Count, store.MissingChunks(StoreShard.All).Count);
    }

    [Fact]
    public async Task CancelledJobKeepsFinishedChunksAndThrows()
    {
        using var dir = new TempDir();
        var x1 = Inputs(30, 3, 8);
        var store = Make(dir.File("cluster.zarr"), DenseNtk, x1, null, 3);
        using var cts = new CancellationTokenSource();
        var options = new ComputeOptions { CancellationToken = cts.Token, Progress = new SyncProgress(p => { if (p.Done >= 18) cts.Cancel(); }) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ClusterKernelJob(fixture.Cluster.Client, new ClusterJobOptions { MaxInFlight = 1 })
            .FillAsync(store, DenseNtk, x1, null, StoreShard.All, options));
        int missing = store.MissingChunks(StoreShard.All).Count;
        Assert.InRange(missing, 1, store.ComputedChunks.Count - 1);
        Assert.Empty(store.Verify().Corrupt);
    }

    [Fact]
    public async Task ChunksInFlightCountTheCoresOfEachMachineOnce()
    {
        // The three test silos share this machine (one address): its cores, plus one chunk to hide the round trip.
        int inFlight = await new ClusterKernelJob(fixture.Cluster.Client).ClusterCoresAsync();
        Assert.Equal(Environment.ProcessorCount + 1, inFlight);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    internal sealed class SyncProgress(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => report(value);
    }
}
