using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Svm;

/// <summary>Small classification problems for the support-vector tests: Gaussian blobs and their kernels.</summary>
internal static class SvmTestData
{
    /// <summary>n points of k Gaussian blobs in d dimensions (centres <paramref name="spread"/> apart on average), labels cycling 0..k−1.</summary>
    public static (Matrix X, int[] Labels) Blobs(int n, int k, int d, int seed, double spread = 2.0, int[]? classes = null)
    {
        var rng = new Random(seed);
        var centres = Matrix.Build(k, d, (_, _) => spread * TestData.Gaussian(rng));
        classes ??= [.. Enumerable.Range(0, k)];
        var labels = new int[n];
        var x = new Matrix(n, d);
        for (int i = 0; i < n; i++)
        {
            int c = classes[i % classes.Length];
            labels[i] = c;
            for (int j = 0; j < d; j++) x[i, j] = centres[c, j] + TestData.Gaussian(rng);
        }
        return (x, labels);
    }

    /// <summary>The Gaussian kernel exp(−γ‖x − x'‖²) between two sets.</summary>
    public static Matrix Gaussian(Matrix a, Matrix? b, double gamma = 0.2) => ClassicalKernel.Gaussian(gamma).Compute(a, b);

    /// <summary>The sigmoid kernel tanh(γ x·x' + c), which is not positive semidefinite.</summary>
    public static Matrix Sigmoid(Matrix a, Matrix b, double gamma, double c)
    {
        var k = LinearAlgebra.Multiply(a, b, Op.None, Op.Transpose);
        for (int i = 0; i < k.Data.Length; i++) k.Data[i] = Math.Tanh(gamma * k.Data[i] + c);
        return k;
    }

    /// <summary>The labels as an n×1 matrix (for <see cref="Python.Encode"/>).</summary>
    public static Matrix Column(int[] labels) => Matrix.Build(labels.Length, 1, (i, _) => labels[i]);

    /// <summary>K with its rows in <paramref name="rowOrder"/> and its columns in <paramref name="columnOrder"/>.</summary>
    public static Matrix Permute(Matrix k, int[] rowOrder, int[] columnOrder) =>
        Matrix.Build(rowOrder.Length, columnOrder.Length, (i, j) => k[rowOrder[i], columnOrder[j]]);

    /// <summary>
    /// The KKT conditions of a binary sub-problem's solution, checked from K itself: 0 ≤ α ≤ C, yᵀα = 0, free α on the
    /// margin (F_t = ρ within eps) and the maximal violation m(α) − M(α) below eps.
    /// </summary>
    public static void AssertOptimal(SmoResult result, Matrix k, int[] map, sbyte[] y, double[] c, double eps)
    {
        int l = map.Length;
        double balance = 0, up = double.NegativeInfinity, low = double.PositiveInfinity;
        for (int t = 0; t < l; t++)
        {
            double a = result.Alpha[t];
            Assert.InRange(a, 0, c[t]);
            balance += y[t] * a;
            double f = -y[t];   // F_t = y_t·∇_t f = Σ_s y_s·α_s·K_st − y_t
            for (int s = 0; s < l; s++) f += y[s] * result.Alpha[s] * k[map[s], map[t]];
            bool inUp = y[t] > 0 ? a < c[t] : a > 0, inLow = y[t] > 0 ? a > 0 : a < c[t];
            if (inUp) up = Math.Max(up, -f);
            if (inLow) low = Math.Min(low, -f);
            if (a > 0 && a < c[t]) Assert.True(Math.Abs(f - result.Rho) <= eps, $"free α_{t}: F = {f}, ρ = {result.Rho}");
        }
        Assert.True(Math.Abs(balance) < 1e-9, $"yᵀα = {balance}");
        Assert.True(up - low < eps * (1 + 1e-6), $"m(α) − M(α) = {up - low}");
    }
}
