using Tangent.Numerics;

namespace Tangent.Tests;

/// <summary>Small deterministic inputs for tests.</summary>
internal static class TestData
{
    public static Matrix Random(int rows, int cols, int seed, double scale = 1.0)
    {
        var rng = new Random(seed);
        return Matrix.Build(rows, cols, (_, _) => scale * Gaussian(rng));
    }

    /// <summary>GᵀG/n + shift·I for a random n×n G: a symmetric positive-definite test matrix.</summary>
    public static Matrix RandomSpd(int n, int seed, double shift)
    {
        var g = Random(n, n, seed);
        var a = LinearAlgebra.Multiply(g, g, transA: Op.Transpose);
        for (int i = 0; i < a.Data.Length; i++) a.Data[i] /= n;
        a.AddToDiagonal(shift);
        return a;
    }

    public static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static MathNet.Numerics.LinearAlgebra.Matrix<double> ToMathNet(Matrix m) =>
        MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(m.Rows, m.Cols, (i, j) => m[i, j]);

    public static Matrix FromMathNet(MathNet.Numerics.LinearAlgebra.Matrix<double> m) => Matrix.Build(m.RowCount, m.ColumnCount, (i, j) => m[i, j]);

    public static double RelativeError(Matrix actual, Matrix expected)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Data.Length; i++)
        {
            double e = actual.Data[i] - expected.Data[i];
            diff += e * e;
            norm += expected.Data[i] * expected.Data[i];
        }
        return Math.Sqrt(diff / Math.Max(norm, 1e-300));
    }
}
