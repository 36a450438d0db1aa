using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

public sealed class TiledCholeskyTests
{
    private static Matrix RandomSpd(int n, int seed) => TestData.RandomSpd(n, seed, 0.05);

    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 4 }, { 7, 7 }, { 10, 3 }, { 64, 16 }, { 97, 20 }, { 150, 64 }, { 200, 1000 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheTiledFactorSolvesAsTheDenseCholeskyForEveryTileSize(int n, int tile)
    {
        var a = RandomSpd(n, n + tile);
        var b = TestData.Random(n, 3, 5);
        var tiles = SymmetricTiles.FromMatrix(a, tile);
        var chol = TiledCholesky.FactorInPlace(tiles);
        var dense = Cholesky.Compute(a);
        var x = chol.Solve(b);
        Assert.True(TestData.RelativeError(x, dense.Solve(b)) < 1e-10, $"relative error {TestData.RelativeError(x, dense.Solve(b))}");
        var residual = LinearAlgebra.Multiply(a, x);
        Assert.True(TestData.RelativeError(residual, b) < 1e-10);
        Assert.Equal(dense.LogDeterminant(), chol.LogDeterminant(), 1e-9 * Math.Max(1, Math.Abs(dense.LogDeterminant())));
    }

    [Fact]
    public void EveryProviderGivesTheSameSolution()
    {
        var a = RandomSpd(130, 3);
        var b = TestData.Random(130, 2, 4);
        var exact = Cholesky.Compute(a, ManagedProvider.Instance).Solve(b);
        foreach (var provider in LinearAlgebra.Available())
        {
            var x = TiledCholesky.FactorInPlace(SymmetricTiles.FromMatrix(a, 32), provider).Solve(b);
            Assert.True(TestData.RelativeError(x, exact) < 1e-10, provider.Name);
        }
    }

    [Fact]
    public void ANonPositivePivotIsReportedByItsRowInTheWholeMatrix()
    {
        var a = RandomSpd(40, 8);
        for (int j = 0; j < 40; j++) { a[25, j] = 0; a[j, 25] = 0; }
        a[25, 25] = -1;
        var tiles = SymmetricTiles.FromMatrix(a, 8);
        Assert.Null(TiledCholesky.TryFactorInPlace(tiles, out int pivot));
        Assert.Equal(26, pivot);
        var e = Assert.Throws<NotPositiveDefiniteException>(() => TiledCholesky.FactorInPlace(SymmetricTiles.FromMatrix(a, 8)));
        Assert.Equal(26, e.Pivot);
        Assert.Contains("ridge", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTilesHoldTheUpperHalfAndReadBackTheMatrix()
    {
        var a = RandomSpd(45, 9);
        for (int i = 0; i < 45; i++) for (int j = 0; j < i; j++) a[i, j] = a[j, i];   // exactly symmetric
        var tiles = SymmetricTiles.FromMatrix(a, 10);
        Assert.Equal(5, tiles.TileCount);
        Assert.Equal(5, tiles.Length(4));
        Assert.Equal(0, a.MaxAbsDifference(tiles.ToMatrix()));
        Assert.Equal(a[44, 3], tiles[44, 3]);
        Assert.Equal(a.Diagonal(), tiles.Diagonal());
        long upper = 0;
        for (int i = 0; i < 5; i++) for (int j = i; j < 5; j++) upper += tiles.Length(i) * tiles.Length(j);
        Assert.Equal(8 * upper, SymmetricTiles.BytesFor(45, 10));
        Assert.True(SymmetricTiles.BytesFor(60_000) < 0.52 * 8.0 * 60_000 * 60_000, "the tiles of a 60k kernel take about half the dense matrix");
    }

    [Fact]
    public void CancellationStopsTheFactorization()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var tiles = SymmetricTiles.FromMatrix(RandomSpd(30, 1), 10);
        Assert.Throws<OperationCanceledException>(() => TiledCholesky.TryFactorInPlace(tiles, out _, cancellationToken: cts.Token));
    }

    [Fact]
    public void ProgressEndsAtTheWholeFlopCount()
    {
        var seen = new List<(long Done, long Total)>();
        TiledCholesky.FactorInPlace(SymmetricTiles.FromMatrix(RandomSpd(50, 2), 10), progress: (d, t) => seen.Add((d, t)));
        Assert.NotEmpty(seen);
        Assert.Equal(seen[^1].Total, seen[^1].Done);
        Assert.Equal(50L * 50 * 50 / 3, seen[^1].Total);
        for (int i = 1; i < seen.Count; i++) Assert.True(seen[i].Done >= seen[i - 1].Done);
    }
}
