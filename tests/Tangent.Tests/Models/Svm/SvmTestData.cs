using Tangent.Kernels;
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
}
