using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Dynamics.DynamicsFixtures;
using Dense = MathNet.Numerics.LinearAlgebra.Matrix<double>;

namespace Tangent.Tests.Dynamics;

public sealed class InfiniteEnsembleTests
{
    private static TestKernels Test(KernelSet k) => new()
    {
        NtkTestTrain = k.NtkTestTrain,
        NngpTestTrain = k.NngpTestTrain,
        NngpTestTest = k.NngpTestTest,
    };

    /// <summary>docs/MATH.md §4 written out with dense matrices: the NTK ensemble at τ.</summary>
    private static (Dense Mean, Dense Cov) DirectNtk(KernelSet k, double tau, double lambda)
    {
        int n = k.NtkTrainTrain.Rows;
        var theta = D(k.NtkTrainTrain) + lambda * Id(n);
        var a = theta.Inverse() * (Id(n) - Expm(-tau * theta));     // Θ⁻¹(I − E_τ)
        var ta = D(k.NtkTestTrain) * a;                              // Θ*ₓΘ⁻¹(I − E_τ)
        var cross = ta * D(k.NngpTestTrain).Transpose();
        var cov = D(k.NngpTestTest) + ta * D(k.NngpTrainTrain) * ta.Transpose() - cross - cross.Transpose();
        return (ta * D(k.YTrain), cov);
    }

    private static (Dense Mean, Dense Cov) DirectNngp(KernelSet k, double tau, double lambda)
    {
        int n = k.NngpTrainTrain.Rows;
        var kk = D(k.NngpTrainTrain) + lambda * Id(n);
        var inv = kk.Inverse();
        var mean = D(k.NngpTestTrain) * inv * (Id(n) - Expm(-tau * kk)) * D(k.YTrain);
        var cov = D(k.NngpTestTest) - D(k.NngpTestTrain) * inv * (Id(n) - Expm(-2 * tau * kk)) * D(k.NngpTestTrain).Transpose();
        return (mean, cov);
    }

    [Theory]
    [InlineData(KernelOutputs.Ntk, 0.0)]
    [InlineData(KernelOutputs.Ntk, 1e-3)]
    [InlineData(KernelOutputs.Nngp, 0.0)]
    [InlineData(KernelOutputs.Nngp, 1e-3)]
    public void MeanAndCovarianceMatchTheDirectFormulas(KernelOutputs kind, double ridge)
    {
        var k = Relu(n: 10, m: 5, k: 2, seed: 20);
        var options = new DynamicsOptions { LearningRate = 0.5, Ridge = Ridge.Absolute(ridge) };
        var ensemble = kind == KernelOutputs.Ntk
            ? InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, options)
            : InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, options);
        double[] times = [0.0, 2.0, 15.0, 300.0];
        var full = ensemble.PredictTrajectory(times, Test(k), CovarianceMode.Full);
        var diag = ensemble.PredictTrajectory(times, Test(k) with { NngpTestTest = null, NngpTestTestDiagonal = k.NngpTestTest.Diagonal() }, CovarianceMode.Diagonal);
        for (int q = 0; q < times.Length; q++)
        {
            double tau = 0.5 * times[q] / 20;
            var (mean, cov) = kind == KernelOutputs.Ntk ? DirectNtk(k, tau, ridge) : DirectNngp(k, tau, ridge);
            Near(T(mean), full[q].Mean, 1e-9, $"mean t={times[q]}");
            Near(T(cov), full[q].Covariance!, 1e-9, $"cov t={times[q]}");
            Near(T(mean), diag[q].Mean, 1e-9, $"mean (diag mode) t={times[q]}");
            Near(T(cov).Diagonal(), diag[q].Variance!, 1e-9, $"variance t={times[q]}");
            Assert.Null(diag[q].Covariance);
            Assert.Equal(times[q], full[q].Time);
        }
    }

    [Theory]
    [InlineData(KernelOutputs.Ntk)]
    [InlineData(KernelOutputs.Nngp)]
    public void TimeZeroGivesThePrior(KernelOutputs kind)
    {
        var k = Relu(n: 8, m: 4, k: 3, seed: 21);
        var ensemble = kind == KernelOutputs.Ntk
            ? InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.1 })
            : InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.1 });
        var p = ensemble.Predict(0, Test(k), CovarianceMode.Full);
        Near(new Matrix(4, 3), p.Mean, 1e-14, "mean");
        Near(k.NngpTestTest, p.Covariance!, 1e-12, "covariance");
    }

    [Fact]
    public void NtkEnsembleAtInfinityIsEquation1041AndTheLimitOfFiniteTimes()
    {
        var k = Relu(n: 10, m: 4, k: 2, seed: 22);
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.5 });
        var inf = ensemble.Predict(double.PositiveInfinity, Test(k), CovarianceMode.Full);
        var inv = D(k.NtkTrainTrain).Inverse();
        var ta = D(k.NtkTestTrain) * inv;
        var cross = ta * D(k.NngpTestTrain).Transpose();
        var cov = D(k.NngpTestTest) + ta * D(k.NngpTrainTrain) * ta.Transpose() - cross - cross.Transpose();
        Near(T(ta * D(k.YTrain)), inf.Mean, 1e-9, "mean");
        Near(T(cov), inf.Covariance!, 1e-8, "covariance");
        var late = ensemble.Predict(1e9, Test(k), CovarianceMode.Full);
        Near(inf.Mean, late.Mean, 1e-6, "mean at t = 1e9");
        Near(inf.Covariance!, late.Covariance!, 1e-6, "covariance at t = 1e9");
        var diag = ensemble.Predict(double.PositiveInfinity, Test(k), CovarianceMode.Diagonal);
        Near(inf.Variance!, diag.Variance!, 1e-10, "variance at ∞");
    }

    [Fact]
    public void NngpEnsembleAtInfinityIsGaussianProcessInference()
    {
        var k = Relu(n: 10, m: 4, k: 2, seed: 23);
        var options = new DynamicsOptions { LearningRate = 0.5, Ridge = Ridge.Relative(1e-4) };
        var ensemble = InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, options);
        var gp = new GaussianProcessInference(k.NngpTrainTrain, k.YTrain, Ridge.Relative(1e-4), kernelName: "NNGP");
        var a = ensemble.Predict(double.PositiveInfinity, Test(k), CovarianceMode.Full);
        var b = gp.Predict(k.NngpTestTrain, k.NngpTestTest);
        Near(b.Mean, a.Mean, 1e-12, "mean");
        Near(b.Covariance!, a.Covariance!, 1e-12, "covariance");
        var late = ensemble.Predict(1e9, Test(k), CovarianceMode.Full);
        Near(b.Mean, late.Mean, 1e-6, "mean at t = 1e9");
        Near(b.Covariance!, late.Covariance!, 1e-6, "covariance at t = 1e9");
    }

    [Fact]
    public void NtkEnsembleCovarianceIsPositiveSemidefiniteAtEveryTime()
    {
        var k = Relu(n: 14, m: 8, k: 1, seed: 24);
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.5 });
        foreach (var p in ensemble.PredictTrajectory([0, 0.3, 3, 30, 300, 3e4, double.PositiveInfinity], Test(k), CovarianceMode.Full))
        {
            var eig = SymmetricEigen.Compute(p.Covariance!);
            double scale = Math.Max(1e-300, eig.Values[^1]);
            Assert.True(eig.Values[0] >= -1e-9 * scale, $"t={p.Time}: smallest eigenvalue {eig.Values[0]:G3} (largest {scale:G3})");
            Assert.All(p.Variance!, v => Assert.True(v >= -1e-9 * scale));
        }
    }

    [Fact]
    public void EnsembleIsTheDistributionOfGradientDescentFromRandomInitialOutputs()
    {
        // f*(τ) = f₀* + Θ*ₓΘ⁻¹(I − E_τ)(Y − f₀) with (f₀, f₀*) ~ N(0, K_joint): sample and compare.
        var k = Relu(n: 6, m: 3, k: 1, seed: 25);
        const double t = 20, eta = 0.5;
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = eta });
        var expected = ensemble.Predict(t, Test(k), CovarianceMode.Full);
        var gd = new GradientDescentMse(k.NtkTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = eta });
        var joint = Matrix.Build(9, 9, (i, j) =>
            i < 6 && j < 6 ? k.NngpTrainTrain[i, j] : i >= 6 && j >= 6 ? k.NngpTestTest[i - 6, j - 6] : i >= 6 ? k.NngpTestTrain[i - 6, j] : k.NngpTestTrain[j - 6, i]);
        for (int i = 0; i < 9; i++) joint[i, i] += 1e-12;
        var l = Cholesky.Compute(joint).Factor;
        var rng = new Random(26);
        const int samples = 20000;
        var sum = new double[3];
        var sum2 = new double[3, 3];
        for (int s = 0; s < samples; s++)
        {
            var z = Matrix.Build(9, 1, (_, _) => Gaussian(rng));
            var f = LinearAlgebra.Multiply(l, z);
            var snap = gd.Predict(t, f.SliceRows(0, 6), k.NtkTestTrain, f.SliceRows(6, 3));
            for (int i = 0; i < 3; i++)
            {
                sum[i] += snap.TestOutputs![i, 0];
                for (int j = 0; j < 3; j++) sum2[i, j] += snap.TestOutputs[i, 0] * snap.TestOutputs[j, 0];
            }
        }
        for (int i = 0; i < 3; i++)
        {
            double sd = Math.Sqrt(expected.Covariance![i, i]);
            Assert.True(Math.Abs(sum[i] / samples - expected.Mean[i, 0]) < 5 * sd / Math.Sqrt(samples), $"mean {i}");
            for (int j = 0; j < 3; j++)
            {
                double c = sum2[i, j] / samples - sum[i] / samples * sum[j] / samples;
                double tol = 6 * Math.Sqrt(expected.Covariance[i, i] * expected.Covariance[j, j] * 2.0 / samples);
                Assert.True(Math.Abs(c - expected.Covariance[i, j]) < tol, $"cov ({i},{j}): {c:G4} vs {expected.Covariance[i, j]:G4}");
            }
        }
    }

    [Fact]
    public void TrajectoryEqualsSinglePredictions()
    {
        var k = Relu(n: 9, m: 3, k: 2, seed: 27);
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.3 });
        double[] times = [5, double.PositiveInfinity, 0, double.PositiveInfinity, 50];
        var traj = ensemble.PredictTrajectory(times, Test(k), CovarianceMode.Diagonal);
        for (int q = 0; q < times.Length; q++)
        {
            var single = ensemble.Predict(times[q], Test(k), CovarianceMode.Diagonal);
            Near(single.Mean, traj[q].Mean, 1e-13, $"mean {q}");
            Near(single.Variance!, traj[q].Variance!, 1e-13, $"variance {q}");
        }
        Assert.NotSame(traj[1].Mean, traj[3].Mean);
    }

    [Fact]
    public void TrajectoryReportsProgressPerTimeAndHonoursCancellation()
    {
        var k = Relu(n: 6, m: 2, k: 1, seed: 29);
        var ensemble = InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.1 });
        var reports = new List<Tangent.Engine.ProgressInfo>();
        var sink = new SyncProgress(reports.Add);
        ensemble.PredictTrajectory([1, 2, double.PositiveInfinity], Test(k), CovarianceMode.Full, sink);
        Assert.Equal([1L, 2L, 3L], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(3, r.Total));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ensemble.PredictTrajectory([1], Test(k), CovarianceMode.Full, cancellationToken: cts.Token));
    }

    private sealed class SyncProgress(Action<Tangent.Engine.ProgressInfo> report) : IProgress<Tangent.Engine.ProgressInfo>
    {
        public void Report(Tangent.Engine.ProgressInfo value) => report(value);
    }

    [Fact]
    public void MissingOrMisshapenKernelsAreReportedByName()
    {
        var k = Relu(n: 6, m: 2, k: 1, seed: 28);
        var ntk = InfiniteEnsemble.Ntk(k.NtkTrainTrain, null, k.YTrain, new DynamicsOptions { LearningRate = 0.1 });
        Assert.Equal(2, ntk.Predict(1, new TestKernels { NtkTestTrain = k.NtkTestTrain }, CovarianceMode.None).Mean.Rows);
        var ex = Assert.Throws<ArgumentException>(() => ntk.Predict(1, Test(k), CovarianceMode.Diagonal));
        Assert.Contains("train-train NNGP", ex.Message);
        var nngp = InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.1 });
        ex = Assert.Throws<ArgumentException>(() => nngp.Predict(1, new TestKernels { NtkTestTrain = k.NtkTestTrain }, CovarianceMode.None));
        Assert.Contains("NngpTestTrain", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => nngp.Predict(1, new TestKernels { NngpTestTrain = k.NngpTestTrain }, CovarianceMode.Full));
        Assert.Contains("NngpTestTest", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => nngp.Predict(1, new TestKernels { NngpTestTrain = new Matrix(2, 5) }, CovarianceMode.None));
        Assert.Contains("2×5", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => nngp.Predict(1, new TestKernels { NngpTestTrain = k.NngpTestTrain, NngpTestTestDiagonal = [1, 2, 3] }));
        Assert.Contains("2 entries", ex.Message);
    }
}
