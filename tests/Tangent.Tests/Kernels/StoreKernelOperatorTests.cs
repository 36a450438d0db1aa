using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Kernels;

/// <summary><see cref="StoreKernelOperator"/> (docs/SOLVERS.md, "Kernel stores"): products, diagonal and columns streamed from a kernel store.</summary>
public sealed class StoreKernelOperatorTests : IDisposable
{
    private static readonly ClassicalKernel Gaussian = ClassicalKernel.Gaussian(0.4);
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-store-op-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private KernelStore Store(string name, Matrix x1, Matrix? x2, int chunk, ClassicalKernel? kernel = null)
    {
        kernel ??= Gaussian;
        var store = KernelStore.OpenOrCreate(Path.Combine(_dir, name), KernelStoreWriter.Metadata(kernel, "classical", x1, x2, chunk));
        KernelStoreWriter.Fill(store, kernel, x1, x2, StoreShard.All, ComputeOptions.Default);
        return store;
    }

    private static double Relative(Matrix actual, Matrix expected) =>
        actual.MaxAbsDifference(expected) / Math.Max(expected.Data.Max(Math.Abs), double.Epsilon);

    [Theory]
    [InlineData(37, 5, 1, 4)]
    [InlineData(37, 8, 3, 1)]
    [InlineData(37, 37, 2, 8)]
    [InlineData(37, 50, 4, 2)]
    [InlineData(101, 16, 7, 3)]
    public void TheProductEqualsTheInMemoryProductOfTheStoredMatrix(int n, int chunk, int k, int threads)
    {
        var x = TestData.Random(n, 3, n + chunk);
        var store = Store($"k{n}-{chunk}.zarr", x, null, chunk);
        var v = TestData.Random(n, k, 7);
        var op = new StoreKernelOperator(store, new ComputeOptions { MaxThreads = threads }, cacheBytes: 0);
        var into = Matrix.Build(n, k, (_, _) => double.NaN);   // overwritten, not added to
        op.Multiply(v, into);
        var expected = LinearAlgebra.Multiply(store.ReadAll(), v);
        Assert.True(Relative(into, expected) <= 1e-12, $"relative difference {Relative(into, expected):G3}");
        Assert.True(Relative(into, LinearAlgebra.Multiply(Gaussian.Compute(x), v)) <= 1e-12);
    }

    [Fact]
    public void ASymmetricProductReadsOnlyTheUpperChunksAndTheCacheServesTheNextOne()
    {
        var x = TestData.Random(50, 3, 1);
        var store = Store("k.zarr", x, null, 7);   // 8 chunk rows: 36 upper chunks of 64
        var v = TestData.Random(50, 2, 2);
        var into = new Matrix(50, 2);
        var uncached = new StoreKernelOperator(store, cacheBytes: 0);
        uncached.Multiply(v, into);
        Assert.Equal(36, uncached.ChunkReads);
        uncached.Multiply(v, into);
        Assert.Equal(72, uncached.ChunkReads);
        var cached = new StoreKernelOperator(store, cacheBytes: 1 << 20);
        cached.Multiply(v, into);
        var first = into.Clone();
        cached.Multiply(v, into);
        Assert.Equal(36, cached.ChunkReads);
        Assert.Equal(36, cached.CacheHits);
        Assert.Equal(first.Data, into.Data);   // same lanes, same order: the same bits
    }

    [Fact]
    public void AFullCacheKeepsTheFirstChunksAndReadsTheRest()
    {
        var x = TestData.Random(40, 3, 3);
        var store = Store("k.zarr", x, null, 10);   // 10 upper chunks of 10×10 (800 bytes each)
        var op = new StoreKernelOperator(store, new ComputeOptions { MaxThreads = 1 }, cacheBytes: 3 * 800);
        var into = new Matrix(40, 1);
        op.Multiply(TestData.Random(40, 1, 4), into);
        op.Multiply(TestData.Random(40, 1, 4), into);
        Assert.Equal(3, op.CacheHits);
        Assert.Equal(17, op.ChunkReads);
    }

    [Fact]
    public void ARectangularStoreMultipliesItsVectors()
    {
        var x1 = TestData.Random(23, 3, 5);
        var x2 = TestData.Random(31, 3, 6);
        var store = Store("kx.zarr", x1, x2, 6);
        var v = TestData.Random(31, 3, 7);
        var into = new Matrix(23, 3);
        new StoreKernelOperator(store).Multiply(v, into);
        Assert.True(Relative(into, LinearAlgebra.Multiply(Gaussian.Compute(x1, x2), v)) <= 1e-12);
        Assert.Throws<ArgumentException>(() => new StoreKernelOperator(store).Multiply(new Matrix(23, 3), into));
        Assert.Throws<InvalidOperationException>(() => new StoreKernelOperator(store).Diagonal());
    }

    [Fact]
    public void DiagonalTraceAndColumnsAreTheStoredEntries()
    {
        var kernel = ClassicalKernel.Polynomial(0.5, 1, 2);   // a diagonal that is not all ones
        var x = TestData.Random(29, 3, 8);
        var store = Store("p.zarr", x, null, 6, kernel);
        var k = kernel.Compute(x);
        var op = new StoreKernelOperator(store);
        var diagonal = op.Diagonal();
        for (int i = 0; i < 29; i++) Assert.Equal(k[i, i], diagonal[i], 12);
        Assert.Equal(k.Diagonal().Sum(), op.Trace(), 10);
        int[] columns = [28, 0, 13, 6, 13, 5];
        var picked = op.Columns(columns);
        Assert.Equal(29, picked.Rows);
        for (int q = 0; q < columns.Length; q++)
            for (int i = 0; i < 29; i++)
                Assert.Equal(k[i, columns[q]], picked[i, q], 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => op.Columns([29]));
    }

    [Fact]
    public void AnIncompleteStoreIsRefusedNamingTheFix()
    {
        var x = TestData.Random(30, 3, 9);
        var store = KernelStore.OpenOrCreate(Path.Combine(_dir, "part.zarr"), KernelStoreWriter.Metadata(Gaussian, "classical", x, null, 10));
        KernelStoreWriter.Fill(store, Gaussian, x, null, new StoreShard(0, 2), ComputeOptions.Default);
        var e = Assert.Throws<IOException>(() => new StoreKernelOperator(store));
        Assert.Contains("incomplete", e.Message);
        Assert.Contains("run the command that made it again", e.Message);
    }

    [Fact]
    public void LanesShrinkToTheMemoryBudgetAndATooSmallBudgetIsRefused()
    {
        var x = TestData.Random(64, 3, 10);
        var store = Store("k.zarr", x, null, 8);
        Assert.Equal(4, new StoreKernelOperator(store, new ComputeOptions { MaxThreads = 4 }, cacheBytes: 0).Lanes(1));
        // a lane holds 16·8² bytes of chunk plus 8·64·k of accumulator: 1024 + 512k
        var tight = new StoreKernelOperator(store, new ComputeOptions { MaxThreads = 8, MemoryBudget = 3 * (1024 + 512 * 2) }, cacheBytes: 0);
        Assert.Equal(3, tight.Lanes(2));
        var tiny = new StoreKernelOperator(store, new ComputeOptions { MemoryBudget = 1000 }, cacheBytes: 0);
        var e = Assert.Throws<InsufficientMemoryException>(() => tiny.Multiply(new Matrix(64, 1), new Matrix(64, 1)));
        Assert.Contains("smaller --chunk", e.Message);
    }

    [Fact]
    public void CancellationStopsAProduct()
    {
        var x = TestData.Random(30, 3, 11);
        var store = Store("k.zarr", x, null, 5);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var op = new StoreKernelOperator(store, new ComputeOptions { CancellationToken = cts.Token });
        Assert.ThrowsAny<OperationCanceledException>(() => op.Multiply(new Matrix(30, 1), new Matrix(30, 1)));
    }

    [Fact]
    public void FitStoreEqualsTheInMemoryFitAndPredictsInBlocks()
    {
        var x = TestData.Random(120, 3, 12);
        var y = Matrix.Build(120, 2, (i, j) => Math.Sin(x[i, j]) + x[i, 2]);
        var xs = TestData.Random(17, 3, 13);
        var store = Store("fit.zarr", x, null, 25);
        var reg = new IterativeKernelRegression(Gaussian) { Ridge = Ridge.Relative(1e-3), Tolerance = 1e-12, PreconditionerRank = 30 };
        var (memory, _) = reg.Fit(x, y);
        var (fromStore, solve, op) = reg.FitStore(store, x, y);
        Assert.True(solve.Converged, solve.Summary);
        Assert.Equal(memory.Ridge, fromStore.Ridge, 14);
        Assert.True(fromStore.Coefficients.MaxAbsDifference(memory.Coefficients) <= 1e-8 * memory.Coefficients.Data.Max(Math.Abs));
        Assert.True(op.ChunkReads + op.CacheHits > 0);
        var expected = memory.Predict(xs);
        // a budget small enough for blocks of 3 test rows (8·120·3 bytes ≤ budget/8)
        var blocks = IterativeKernelRegression.PredictInBlocks(Gaussian, x, fromStore.Coefficients, xs, new ComputeOptions { MemoryBudget = 8 * 8 * 120 * 3 });
        Assert.True(blocks.MaxAbsDifference(expected) <= 1e-8 * expected.Data.Max(Math.Abs), $"{blocks.MaxAbsDifference(expected):G3}");
        var exact = new KernelRegression(Gaussian) { Ridge = Ridge.Relative(1e-3) }.Fit(x, y).Predict(xs);
        Assert.True(blocks.MaxAbsDifference(exact) <= 1e-6 * exact.Data.Max(Math.Abs));
    }

    [Fact]
    public void FitStoreRefusesAStoreOfOtherInputsOrAnotherKernel()
    {
        var x = TestData.Random(40, 3, 14);
        var y = TestData.Random(40, 1, 15);
        var store = Store("k.zarr", x, null, 10);
        var other = x.Clone();
        other[3, 1] += 1e-9;
        var e = Assert.Throws<InvalidOperationException>(() => new IterativeKernelRegression(Gaussian).FitStore(store, other, y));
        Assert.Contains("input fingerprint", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => new IterativeKernelRegression(ClassicalKernel.Gaussian(0.5)).FitStore(store, x, y));
        Assert.Contains("gamma=0.5", e.Message);
        Assert.Equal("classical", IterativeKernelRegression.StoreKind(Gaussian));
        Assert.Equal("nngp", IterativeKernelRegression.StoreKind(Tangent.Layers.NeuralKernel.Parse("dense relu dense", Tangent.Layers.KernelOutputs.Nngp)));
    }
}
