using Tangent.Dynamics;
using Tangent.Numerics;

namespace Tangent.Tests.Dynamics;

public sealed class ShapesTests
{
    /// <summary>The tiled, parallel asymmetry scan finds what the plain row-major scan finds, ties included (the first
    /// in row-major order), across tile edges and for orders that are not a multiple of the tile.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public void LargestAsymmetryMatchesThePlainScan(int n)
    {
        var rng = new Random(n);
        var k = new Matrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                k[i, j] = k[j, i] = rng.Next(5);
        Assert.Equal((0.0, 0, 0), Shapes.LargestAsymmetry(k));
        for (int r = 0; r < 3 * n; r++)
        {
            int i = rng.Next(n), j = rng.Next(n);
            if (i != j && k[i, j] == k[j, i]) k[i, j] += 1;   // equal differences in many tiles: the tie-break decides
        }
        if (n > 128)
        {
            // Two equal differences in one tile row: the earlier row lies in a later column tile.
            k[100, 90] = k[90, 100] + 10;
            k[120, 5] = k[5, 120] + 10;
        }
        double worst = 0;
        int wi = 0, wj = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double d = Math.Abs(k[i, j] - k[j, i]);
                if (d > worst) { worst = d; wi = i; wj = j; }
            }
        Assert.Equal((worst, wi, wj), Shapes.LargestAsymmetry(k));
    }
}
