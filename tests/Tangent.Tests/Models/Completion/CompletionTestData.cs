using Tangent.Numerics;

namespace Tangent.Tests.Models.Completion;

/// <summary>Low-rank matrices and random masks for the completion tests.</summary>
internal static class CompletionTestData
{
    /// <summary>U·V with U (m×r) and V (r×n) standard Gaussian, V scaled by 1/√r (entries of variance about 1).</summary>
    public static Matrix LowRank(int m, int n, int rank, int seed)
    {
        var rng = new Random(seed);
        var u = Matrix.Build(m, rank, (_, _) => Gauss(rng));
        var v = Matrix.Build(rank, n, (_, _) => Gauss(rng) / Math.Sqrt(rank));
        return LinearAlgebra.Multiply(u, v);
    }

    /// <summary>A 0/1 mask with each entry observed with probability <paramref name="fraction"/>, redrawn until every row
    /// and column has at least one observed entry.</summary>
    public static Matrix Mask(int m, int n, double fraction, int seed)
    {
        var rng = new Random(seed);
        while (true)
        {
            var mask = Matrix.Build(m, n, (_, _) => rng.NextDouble() < fraction ? 1 : 0);
            bool ok = Enumerable.Range(0, m).All(i => Enumerable.Range(0, n).Any(j => mask[i, j] == 1))
                && Enumerable.Range(0, n).All(j => Enumerable.Range(0, m).Any(i => mask[i, j] == 1));
            if (ok) return mask;
        }
    }

    public static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
