using Tangent.Cluster;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using static Tangent.Tests.Cluster.ClusterTestHelpers;

namespace Tangent.Tests.Cluster;

public class KernelTileGrainTests
{
    private static readonly NeuralKernel Nngp = new(Architecture.Parse("dense(w=1.4,b=0.2) erf dense(w=1.1)"), KernelOutputs.Nngp);

    [Fact]
    public void WorkerComputesAChunkAsTheStoreWriterDoes()
    {
        var x1 = Inputs(11, 3, 1);
        var x2 = Inputs(9, 3, 2);
        var chunk = new StoreChunk(1, 0, 6, 0, 5, 6);
        var job = new TileJob { Kernel = ClusterKernelSpec.From(Nngp), TileSize = 4 };
        var got = KernelTileGrain.Compute(TileRequest.For(job, chunk, x1, x2));
        var expected = new double[30];
        KernelStoreWriter.ComputeChunk(Nngp, chunk, x1.SliceRows(6, 5), x2.SliceRows(0, 6), new ComputeOptions { TileSize = 4 }, expected);
        Assert.Equal(expected, got);
        Assert.Equal(Nngp.Compute(x1, x2)[6, 2], got[0 * 6 + 2], 12);
    }

    [Fact]
    public void DiagonalChunkOfASymmetricStoreSendsOneBlockOfInputs()
    {
        var x = Inputs(8, 3, 3);
        var request = TileRequest.For(new TileJob { Kernel = ClusterKernelSpec.From(Nngp) }, new StoreChunk(0, 0, 0, 0, 4, 4), x, null);
        Assert.Null(request.ColInputs);
        Assert.Equal(12, request.RowInputs.Length);
        var got = KernelTileGrain.Compute(request);
        Assert.Equal(Nngp.Compute(x.SliceRows(0, 4)).Data, got);
    }

    [Fact]
    public void WorkerRefusesARequestWhoseInputsDoNotFitTheChunk()
    {
        var request = new TileRequest { Job = new TileJob { Kernel = ClusterKernelSpec.From(Nngp) }, Rows = 2, Cols = 2, Features = 3, RowInputs = new double[5] };
        var e = Assert.Throws<ArgumentException>(() => KernelTileGrain.Compute(request));
        Assert.Contains("chunk 0.0", e.Message);
    }
}
