using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Dynamics.DynamicsFixtures;

namespace Tangent.Tests.Dynamics;

public sealed class LanczosEnsembleTests
{
    private static InfiniteEnsemble Build(KernelOutputs kind, KernelSet k, DynamicsOptions options) => kind == KernelOutputs.Ntk
        ? InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, options)
        : InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, options);

    private static TestKernels Test(KernelSet k) => new() { NtkTestTrain = k.NtkTestTrain, NngpTestTrain = k.NngpTestTrain };

    private static double Relative(Matrix expected, Matrix actual)
    {
        double diff = 0, size = 0;
        for (int i = 0; i < expected.Data.Length; i++)
        {
            double d = expected.Data[i] - actual.Data[i];
            diff += d * d;
            size += expected.Data[i] * expected.Data[i];
        }
        return size == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / size);
    }

    [Theory]
    [InlineData(KernelOutputs.Ntk, 0.0)]
    [InlineData(KernelOutputs.Ntk, 1e-3)]
    [InlineData(KernelOutputs.Nngp, 0.0)]
    [InlineData(KernelOutputs.Nngp, 1e-3)]
    public void TheLanczosMeanEqualsTheEigendecompositionMean(KernelOutputs kind, double ridge)
    {
        var k = Relu(n: 40, m: 7, k: 2, seed: 31);
        var options = new DynamicsOptions { LearningRate = 0.5, Ridge = Ridge.Absolute(ridge), KrylovTolerance = 1e-12 };
        var eigen = Build(kind, k, options with { Method = EnsembleMethod.Eigen });
        var lanczos = Build(kind, k, options with { Method = EnsembleMethod.Lanczos });
        double[] times = [0.0, 3.0, 40.0, 1e3, 1e12, double.PositiveInfinity];
        var expected = eigen.PredictTrajectory(times, Test(k), CovarianceMode.None);
        var actual = lanczos.PredictTrajectory(times, Test(k), CovarianceMode.None);
        Assert.Equal(EnsembleMethod.Lanczos, lanczos.MethodFor(CovarianceMode.None));
        for (int q = 0; q < times.Length; q++)
        {
            double rel = Relative(expected[q].Mean, actual[q].Mean);
            Assert.True(rel <= 1e-8, $"t = {times[q]}: relative difference {rel:G3}");
            Assert.Null(expected[q].Krylov);
            if (double.IsFinite(times[q]))
            {
                Assert.NotNull(actual[q].Krylov);
                Assert.True(actual[q].Krylov!.Converged);
                Assert.InRange(actual[q].Krylov!.Dimension, 1, 40);
            }
            else Assert.Null(actual[q].Krylov);
        }
        Assert.Equal(0, actual[0].Mean.FrobeniusNorm());                     // t = 0: the mean of the prior is 0
        Assert.True(Relative(actual[^1].Mean, actual[^2].Mean) <= 1e-6,      // large t → kernel regression
            $"t = 1e12 against t = ∞: {Relative(actual[^1].Mean, actual[^2].Mean):G3}");
    }

    [Fact]
    public void ASingularKernelWithoutRidgeAgreesWithThePseudoInverseLimit()
    {
        // Duplicated training inputs make Θ singular; the eigen path drops its null space, and so does Lanczos.
        var k = Relu(n: 20, m: 5, k: 1, seed: 32);
        int[] rows = [.. Enumerable.Range(0, 20), 0, 1, 2];
        var ntk = k.NtkTrainTrain.SelectRows(rows).SelectColumns(rows);
        var y = k.YTrain.SelectRows(rows);
        for (int i = 20; i < 23; i++) y[i, 0] += 0.3;   // a repeated input with another label: Y has a part in Θ's null space
        var ntkTest = k.NtkTestTrain.SelectColumns(rows);
        var options = new DynamicsOptions { LearningRate = 0.5, KrylovTolerance = 1e-12 };
        var eigen = InfiniteEnsemble.Ntk(ntk, null, y, options with { Method = EnsembleMethod.Eigen });
        var lanczos = InfiniteEnsemble.Ntk(ntk, null, y, options with { Method = EnsembleMethod.Lanczos });
        double[] times = [5.0, 1e3, 1e12, double.PositiveInfinity];
        var test = new TestKernels { NtkTestTrain = ntkTest };
        var expected = eigen.PredictTrajectory(times, test, CovarianceMode.None);
        var actual = lanczos.PredictTrajectory(times, test, CovarianceMode.None);
        for (int q = 0; q < times.Length; q++)
            Assert.True(Relative(expected[q].Mean, actual[q].Mean) <= 1e-8, $"t = {times[q]}: {Relative(expected[q].Mean, actual[q].Mean):G3}");
        // Without dropping the null space, τ·Θ*ₓ·P₀Y (zero in exact arithmetic) would grow with t.
        Assert.True(Relative(actual[^1].Mean, actual[^2].Mean) <= 1e-6, $"t = 1e12 against the pseudoinverse limit: {Relative(actual[^1].Mean, actual[^2].Mean):G3}");
    }

    [Theory]
    [InlineData(CovarianceMode.Diagonal, "variances")]
    [InlineData(CovarianceMode.Full, "full covariance")]
    public void LanczosRefusesACovarianceNamingTheFix(CovarianceMode mode, string what)
    {
        var k = Relu(n: 10, m: 3, k: 1, seed: 33);
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, new DynamicsOptions { Method = EnsembleMethod.Lanczos });
        var test = Test(k) with { NngpTestTest = k.NngpTestTest };
        var e = Assert.Throws<ArgumentException>(() => ensemble.PredictTrajectory([1.0], test, mode));
        Assert.Contains(what, e.Message);
        Assert.Contains("CovarianceMode.None", e.Message);
        Assert.Contains("Eigen", e.Message);
    }

    [Fact]
    public void AutoUsesLanczosForALargeMeanOnlyPredictionAndTheEigendecompositionForACovariance()
    {
        var k = Relu(n: 12, m: 3, k: 1, seed: 34);
        var small = InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.5 });
        Assert.Equal(EnsembleMethod.Eigen, small.MethodFor(CovarianceMode.None));
        var large = InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.5, LanczosAbove = 11 });
        Assert.Equal(EnsembleMethod.Lanczos, large.MethodFor(CovarianceMode.None));
        Assert.Equal(EnsembleMethod.Eigen, large.MethodFor(CovarianceMode.Diagonal));
        var mean = large.PredictTrajectory([2.0], Test(k), CovarianceMode.None);
        Assert.NotNull(mean[0].Krylov);
        var withVariance = large.PredictTrajectory([2.0], Test(k) with { NngpTestTestDiagonal = k.NngpTestTest.Diagonal() }, CovarianceMode.Diagonal);
        Assert.Null(withVariance[0].Krylov);
        Assert.True(Relative(withVariance[0].Mean, mean[0].Mean) <= 1e-8);
        Assert.Equal(EnsembleMethod.Eigen, large.MethodFor(CovarianceMode.None));   // the eigendecomposition is there now: reuse it
    }

    [Fact]
    public void LanczosChecksTheLearningRateWithAnEstimateOfTheLargestEigenvalue()
    {
        var k = Relu(n: 30, m: 3, k: 2, seed: 35);
        var eigen = InfiniteEnsemble.Ntk(k.NtkTrainTrain, null, k.YTrain, new DynamicsOptions { Method = EnsembleMethod.Eigen });
        var lanczos = InfiniteEnsemble.Ntk(k.NtkTrainTrain, null, k.YTrain, new DynamicsOptions { Method = EnsembleMethod.Lanczos });
        double bound = eigen.MaxLearningRate;
        Assert.True(Math.Abs(lanczos.MaxLearningRate - bound) <= 1e-7 * bound, $"{lanczos.MaxLearningRate:R} vs {bound:R}");
        var unstable = InfiniteEnsemble.Ntk(k.NtkTrainTrain, null, k.YTrain, new DynamicsOptions { Method = EnsembleMethod.Lanczos, LearningRate = 1.5 * bound });
        Assert.Throws<UnstableLearningRateException>(() => unstable.PredictTrajectory([1.0], Test(k), CovarianceMode.None));
        Assert.Equal(double.PositiveInfinity, unstable.PredictTrajectory([double.PositiveInfinity], Test(k), CovarianceMode.None)[0].Time);
    }

    [Fact]
    public void BadLanczosSettingsAreRefused()
    {
        var k = Relu(n: 5, m: 2, k: 1, seed: 36);
        Assert.Throws<ArgumentOutOfRangeException>(() => InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { KrylovTolerance = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { KrylovMaxDimension = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => InfiniteEnsemble.Nngp(k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LanczosAbove = -1 }));
    }
}
