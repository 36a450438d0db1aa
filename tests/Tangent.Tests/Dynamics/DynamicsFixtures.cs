using Tangent.Numerics;
using Dense = MathNet.Numerics.LinearAlgebra.Matrix<double>;

namespace Tangent.Tests.Dynamics;

/// <summary>Kernels of a real architecture and direct (slow, obvious) formulas to test against.</summary>
internal static class DynamicsFixtures
{
    /// <summary>NNGP and NTK of Dense(σw, σb) → ReLU → Dense(σw, σb) on random inputs, by the
    /// recursion of docs/MATH.md §2, for train (first n) and test (last m) inputs together.</summary>
    public sealed record KernelSet(Matrix NngpTrainTrain, Matrix NtkTrainTrain, Matrix NngpTestTrain, Matrix NtkTestTrain,
        Matrix NngpTestTest, Matrix NtkTestTest, Matrix YTrain, Matrix YTest);

    public static KernelSet Relu(int n, int m, int k, int seed, int d = 3)
    {
        var rng = new Random(seed);
        int total = n + m;
        var x = new double[total][];
        for (int i = 0; i < total; i++) x[i] = Enumerable.Range(0, d).Select(_ => Gaussian(rng)).ToArray();
        const double sw2 = 2.0, sb2 = 0.1;
        var nngp = new Matrix(total, total);
        var ntk = new Matrix(total, total);
        var q1 = new double[total];
        for (int i = 0; i < total; i++) q1[i] = sw2 * Dot(x[i], x[i]) / d + sb2;
        for (int i = 0; i < total; i++)
            for (int j = 0; j < total; j++)
            {
                double q12 = sw2 * Dot(x[i], x[j]) / d + sb2; // first Dense: nngp = ntk
                double norm = Math.Sqrt(q1[i] * q1[j]);
                double cos = Math.Clamp(q12 / norm, -1, 1), th = Math.Acos(cos);
                double relu = norm * (Math.Sin(th) + (Math.PI - th) * cos) / (2 * Math.PI);
                double reluNtk = q12 * (Math.PI - th) / (2 * Math.PI);
                nngp[i, j] = sw2 * relu + sb2;
                ntk[i, j] = nngp[i, j] + sw2 * reluNtk;
            }
        // Targets: a smooth function of the inputs plus noise, k outputs.
        var y = Matrix.Build(total, k, (i, c) => Math.Sin(x[i][0] + c) + 0.5 * x[i][1 % d] * (c + 1) + 0.1 * Gaussian(rng));
        var tr = Enumerable.Range(0, n).ToArray();
        var te = Enumerable.Range(n, m).ToArray();
        return new KernelSet(nngp.SelectRows(tr).SelectColumns(tr), ntk.SelectRows(tr).SelectColumns(tr),
            nngp.SelectRows(te).SelectColumns(tr), ntk.SelectRows(te).SelectColumns(tr),
            nngp.SelectRows(te).SelectColumns(te), ntk.SelectRows(te).SelectColumns(te),
            y.SelectRows(tr), y.SelectRows(te));
    }

    public static double Gaussian(Random rng)
        => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static Matrix RandomMatrix(int r, int c, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(r, c, (_, _) => Gaussian(rng));
    }

    private static double Dot(double[] a, double[] b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }

    public static Dense D(Matrix m) => Dense.Build.DenseOfRowArrays(m.ToRowArrays());

    public static Matrix T(Dense m) => Matrix.FromRows(m.ToRowArrays());

    public static Dense Id(int n) => Dense.Build.DenseIdentity(n);

    /// <summary>e^A by scaling and squaring with a Taylor series (Moler &amp; Van Loan's method 3).</summary>
    public static Dense Expm(Dense a)
    {
        double norm = a.InfinityNorm();
        int s = norm <= 0.5 ? 0 : (int)Math.Ceiling(Math.Log2(norm / 0.5));
        var b = a / Math.Pow(2, s);
        var result = Id(a.RowCount);
        var term = Id(a.RowCount);
        for (int p = 1; p <= 30; p++)
        {
            term = term * b / p;
            result += term;
            if (term.InfinityNorm() < 1e-18 * result.InfinityNorm()) break;
        }
        for (int i = 0; i < s; i++) result *= result;
        return result;
    }

    public static void Near(Matrix expected, Matrix actual, double tol, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double scale = Math.Max(1, expected.Data.Select(Math.Abs).DefaultIfEmpty(0).Max());
        double diff = expected.MaxAbsDifference(actual);
        Assert.True(diff <= tol * scale, $"{what}: max |difference| {diff:G3} > {tol:G3}·{scale:G3}");
    }

    public static void Near(double[] expected, double[] actual, double tol, string what = "")
    {
        Near(new Matrix(1, expected.Length, expected), new Matrix(1, actual.Length, actual), tol, what);
    }
}
