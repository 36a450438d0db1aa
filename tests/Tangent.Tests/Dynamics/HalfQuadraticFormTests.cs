using Tangent.Dynamics;
using Tangent.Numerics;
using Tangent.Tests.Numerics;
using static Tangent.Tests.Dynamics.DynamicsFixtures;

namespace Tangent.Tests.Dynamics;

/// <summary>The half-cost diag(W·M·Wᵀ) of the NTK-ensemble variances, against plain products (ragged blocks).</summary>
public sealed class HalfQuadraticFormTests
{
    private static Matrix SymmetricRandom(int n, int seed)
    {
        var a = RandomMatrix(n, n, seed);
        return Matrix.Build(n, n, (i, j) => a[i, j] + a[j, i]);
    }

    private static double[] DirectDiagonal(Matrix w, Matrix m)
    {
        var wm = ProviderTests.NaiveMultiply(w, m);
        var d = new double[w.Rows];
        for (int i = 0; i < w.Rows; i++)
            for (int a = 0; a < w.Cols; a++) d[i] += wm[i, a] * w[i, a];
        return d;
    }

    [Theory]
    [MemberData(nameof(ProviderTests.Providers), MemberType = typeof(ProviderTests))]
    public void QuadraticDiagonalEqualsTheFullProductForRaggedBlocks(string provider)
    {
        var p = ProviderTests.Get(provider);
        foreach (var (n, r, block) in new[] { (37, 11, 7), (37, 11, 37), (37, 11, 100), (64, 5, 64), (65, 9, 16), (1, 3, 1), (50, 1, 13) })
        {
            var m = SymmetricRandom(n, n + block);
            var w = RandomMatrix(r, n, 3 * n + r);
            var form = HalfQuadraticForm.FromSymmetric(m, p, block);
            var work = new Matrix(r, n);
            work.Data.AsSpan().Fill(double.NaN); // overwritten, never read
            Near(DirectDiagonal(w, m), form.QuadraticDiagonal(w, work), 1e-13, $"n={n} r={r} block={block}");
            Near(m, form.ToFull(), 0, $"M rebuilt, n={n} block={block}");
        }
    }

    [Theory]
    [MemberData(nameof(ProviderTests.Providers), MemberType = typeof(ProviderTests))]
    public void CongruenceEqualsVTransposeKVForRaggedBlocks(string provider)
    {
        var p = ProviderTests.Get(provider);
        foreach (var (n, block) in new[] { (29, 6), (29, 29), (40, 64), (70, 0) })
        {
            var k = ProviderTests.Spd(n, n);
            var v = RandomMatrix(n, n, n + 1);
            var expected = ProviderTests.NaiveMultiply(v.Transpose(), ProviderTests.NaiveMultiply(k, v));
            var form = HalfQuadraticForm.Congruence(v, k, p, block);
            Near(expected, form.ToFull(), 1e-13, $"n={n} block={block}");
            var w = RandomMatrix(4, n, 2 * n);
            Near(DirectDiagonal(w, expected), form.QuadraticDiagonal(w, new Matrix(4, n)), 1e-12, $"quadratic form n={n} block={block}");
        }
    }

    [Fact]
    public void DefaultBlockSizeIsATenthBetween64And1024AndAtMostN()
    {
        Assert.Equal(1, HalfQuadraticForm.DefaultBlockSize(1));
        Assert.Equal(50, HalfQuadraticForm.DefaultBlockSize(50));
        Assert.Equal(64, HalfQuadraticForm.DefaultBlockSize(300));
        Assert.Equal(100, HalfQuadraticForm.DefaultBlockSize(1000));
        Assert.Equal(500, HalfQuadraticForm.DefaultBlockSize(5000));
        Assert.Equal(1024, HalfQuadraticForm.DefaultBlockSize(100_000));
    }

    [Fact]
    public void MisshapenWorkspaceIsReported()
    {
        var form = HalfQuadraticForm.FromSymmetric(SymmetricRandom(5, 1), ManagedProvider.Instance);
        var e = Assert.Throws<ArgumentException>(() => form.QuadraticDiagonal(new Matrix(3, 5), new Matrix(3, 4)));
        Assert.Contains("3×5", e.Message);
    }

    /// <summary>The NTK-ensemble variances over several blocks (n = 150: blocks 64, 64, 22), at early, late and
    /// converged times, against the full covariance (the plain W·M·Wᵀ product) and against t = ∞ (Cholesky).</summary>
    [Theory]
    [MemberData(nameof(ProviderTests.Providers), MemberType = typeof(ProviderTests))]
    public void NtkEnsembleVariancesMatchTheFullCovarianceAndTheLimit(string provider)
    {
        var k = Relu(n: 150, m: 23, k: 3, seed: 41);
        var options = new DynamicsOptions { LearningRate = 1.0, Provider = ProviderTests.Get(provider) };
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, options);
        var test = new TestKernels { NtkTestTrain = k.NtkTestTrain, NngpTestTrain = k.NngpTestTrain, NngpTestTest = k.NngpTestTest };
        double[] times = [0.0, 0.3, 7.0, 120.0, 5e3, 1e12, double.PositiveInfinity];
        var full = ensemble.PredictTrajectory(times, test, CovarianceMode.Full);
        var diag = ensemble.PredictTrajectory(times, test with { NngpTestTest = null, NngpTestTestDiagonal = k.NngpTestTest.Diagonal() });
        for (int q = 0; q < times.Length; q++)
        {
            Near(full[q].Covariance!.Diagonal(), diag[q].Variance!, 1e-10, $"variance t={times[q]}");
            Near(full[q].Mean, diag[q].Mean, 1e-12, $"mean t={times[q]}");
        }
        Near(k.NngpTestTest.Diagonal(), diag[0].Variance!, 1e-12, "variance at t = 0 (the prior)");
        Near(diag[^1].Variance!, diag[^2].Variance!, 1e-7, "variance at t = 1e12 against t = ∞");
        Near(diag[^1].Mean, diag[^2].Mean, 1e-7, "mean at t = 1e12 against t = ∞");
    }

    /// <summary>In a trajectory with finite times t = ∞ is evaluated from the eigendecomposition (g = 1/λ); it must equal
    /// the Cholesky evaluation of a lone t = ∞ and the closed form Θ*ₓΘ⁻¹Y, K** + Θ*ₓΘ⁻¹KΘ⁻¹Θₓ* − 2·Θ*ₓΘ⁻¹Kₓ* (NTK) and
    /// K** − K*ₓK⁻¹Kₓ* (NNGP), for both ensembles, both covariance modes and a ragged n over several blocks.</summary>
    [Theory]
    [InlineData(true, CovarianceMode.Diagonal)]
    [InlineData(true, CovarianceMode.Full)]
    [InlineData(false, CovarianceMode.Diagonal)]
    [InlineData(false, CovarianceMode.Full)]
    public void InfinityInATrajectoryEqualsTheCholeskyClosedForm(bool ntk, CovarianceMode mode)
    {
        var k = Relu(n: 131, m: 17, k: 2, seed: 43);
        var options = new DynamicsOptions { LearningRate = 1.0, Ridge = Ridge.Absolute(1e-4) };
        var ensemble = ntk
            ? InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, options)
            : InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, options);
        var test = new TestKernels { NtkTestTrain = k.NtkTestTrain, NngpTestTrain = k.NngpTestTrain, NngpTestTest = k.NngpTestTest };
        var alone = ensemble.Predict(double.PositiveInfinity, test, mode);          // Cholesky (no eigendecomposition yet)
        var trajectory = ensemble.PredictTrajectory([double.PositiveInfinity, 3.0, double.PositiveInfinity], test, mode);
        int n = k.NtkTrainTrain.Rows;
        var drive = D(ntk ? k.NtkTestTrain : k.NngpTestTrain);
        var inv = (D(ntk ? k.NtkTrainTrain : k.NngpTrainTrain) + 1e-4 * Id(n)).Inverse();
        var ta = drive * inv;
        var cross = ta * D(k.NngpTestTrain).Transpose();
        var cov = ntk ? D(k.NngpTestTest) + ta * D(k.NngpTrainTrain) * ta.Transpose() - cross - cross.Transpose() : D(k.NngpTestTest) - cross;
        foreach (int q in new[] { 0, 2 })
        {
            Assert.Equal(double.PositiveInfinity, trajectory[q].Time);
            Near(alone.Mean, trajectory[q].Mean, 1e-10, $"mean at ∞ (entry {q}) against Cholesky");
            Near(alone.Variance!, trajectory[q].Variance!, 1e-10, $"variance at ∞ (entry {q}) against Cholesky");
            Near(T(ta * D(k.YTrain)), trajectory[q].Mean, 1e-8, "mean at ∞ against the closed form");
            Near(T(cov).Diagonal(), trajectory[q].Variance!, 1e-8, "variance at ∞ against the closed form");
            if (mode == CovarianceMode.Full) Near(alone.Covariance!, trajectory[q].Covariance!, 1e-10, "covariance at ∞ against Cholesky");
        }
        Assert.NotSame(trajectory[0].Mean, trajectory[2].Mean);
    }

    /// <summary>A singular kernel without ridge (duplicated inputs): Auto's t = ∞ is the pseudoinverse whether it
    /// comes alone or in a trajectory (which then does not take the eigendecomposition's shortcut blindly).</summary>
    [Fact]
    public void SingularKernelAtInfinityIsThePseudoinverseAloneAndInATrajectory()
    {
        var k = Relu(n: 40, m: 6, k: 2, seed: 44);
        int[] rows = [.. Enumerable.Range(0, 40), 0, 1, 2];   // three duplicated training inputs
        var txx = k.NtkTrainTrain.SelectRows(rows).SelectColumns(rows);
        var kxx = k.NngpTrainTrain.SelectRows(rows).SelectColumns(rows);
        var y = k.YTrain.SelectRows(rows);
        var test = new TestKernels
        {
            NtkTestTrain = k.NtkTestTrain.SelectColumns(rows), NngpTestTrain = k.NngpTestTrain.SelectColumns(rows),
            NngpTestTestDiagonal = k.NngpTestTest.Diagonal(),
        };
        var options = new DynamicsOptions { LearningRate = 0.5 };
        var alone = InfiniteEnsemble.Ntk(txx, kxx, y, options).Predict(double.PositiveInfinity, test);
        var inTrajectory = InfiniteEnsemble.Ntk(txx, kxx, y, options).PredictTrajectory([1.0, double.PositiveInfinity], test)[1];
        Near(alone.Mean, inTrajectory.Mean, 1e-8, "mean at ∞");
        Near(alone.Variance!, inTrajectory.Variance!, 1e-8, "variance at ∞");
    }
}
