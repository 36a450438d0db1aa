using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Dynamics;

/// <summary><see cref="OperatorEnsemble"/>: the ensemble mean from a train-train kernel known only through products (docs/SOLVERS.md).</summary>
public sealed class OperatorEnsembleTests
{
    private static readonly Architecture Relu = Architecture.Parse("dense(w=1.4,b=0.1) relu dense(w=1.4)");

    private static (Matrix X, Matrix Y, Matrix Xs) Data(int n = 40, int m = 20)
    {
        var x = TestData.Random(n, 3, 11);
        var y = Matrix.Build(n, 2, (i, c) => Math.Sin(x[i, 0] + c) + 0.5 * x[i, 1] * (c + 1));
        return (x, y, TestData.Random(m, 3, 12));
    }

    private static InfiniteEnsemble InMemory(KernelOutputs kind, Matrix kxx, Matrix y, DynamicsOptions options) => kind == KernelOutputs.Ntk
        ? InfiniteEnsemble.Ntk(kxx, null, y, options)
        : InfiniteEnsemble.Nngp(kxx, y, options);

    private static TestKernels Test(KernelOutputs kind, Matrix kxs) =>
        kind == KernelOutputs.Ntk ? new TestKernels { NtkTestTrain = kxs } : new TestKernels { NngpTestTrain = kxs };

    private static OperatorEnsemble FromMatrix(KernelOutputs kind, Matrix kxx, Matrix y, DynamicsOptions options)
    {
        double trace = 0;
        for (int i = 0; i < kxx.Rows; i++) trace += kxx[i, i];
        return new OperatorEnsemble(kind, ConjugateGradient.FromMatrix(kxx), kxx.Rows, trace, y, options);
    }

    [Theory]
    [InlineData(KernelOutputs.Ntk)]
    [InlineData(KernelOutputs.Nngp)]
    public void TheMeansEqualTheEigenAndLanczosPathsAtEveryTimeWithTheTestKernelInBlocks(KernelOutputs kind)
    {
        var (x, y, xs) = Data();
        var kernel = new NeuralKernel(Relu, kind);
        var kxx = kernel.Compute(x);
        var kxs = kernel.Compute(xs, x);
        var options = new DynamicsOptions { LearningRate = 0.5, Ridge = Ridge.Relative(1e-3), KrylovTolerance = 1e-12, ConjugateGradientTolerance = 1e-13 };
        double[] times = [0.0, 3.0, 40.0, double.PositiveInfinity, 1e3];
        var eigen = InMemory(kind, kxx, y, options with { Method = EnsembleMethod.Eigen }).PredictTrajectory(times, Test(kind, kxs), CovarianceMode.None);
        var lanczos = InMemory(kind, kxx, y, options with { Method = EnsembleMethod.Lanczos }).PredictTrajectory(times, Test(kind, kxs), CovarianceMode.None);
        var streamed = FromMatrix(kind, kxx, y, options);
        var result = streamed.PredictTrajectory(times, kernel, x, xs, blockRows: 9);   // three blocks of test rows: 9, 9, 2
        Assert.Equal(InMemory(kind, kxx, y, options).RidgeValue, streamed.RidgeValue, 15);
        Assert.True(result.Coefficients.Solve is { Converged: true }, result.Coefficients.Solve?.Summary);
        Assert.True(result.Coefficients.Krylov is { Converged: true });
        for (int q = 0; q < times.Length; q++)
        {
            var mean = result.Predictions[q].Mean;
            Assert.Equal(times[q], result.Predictions[q].Time);
            Assert.Null(result.Predictions[q].Variance);
            Assert.Equal(double.IsFinite(times[q]), result.Predictions[q].Krylov is not null);
            double toEigen = TestData.RelativeError(mean, eigen[q].Mean), toLanczos = TestData.RelativeError(mean, lanczos[q].Mean);
            Assert.True(toEigen <= 1e-8, $"t = {times[q]}: {toEigen:G3} from the eigen path");
            Assert.True(toLanczos <= 1e-8, $"t = {times[q]}: {toLanczos:G3} from the in-memory Lanczos path");
        }
        Assert.All(result.Predictions[0].Mean.Data, v => Assert.Equal(0.0, v));   // t = 0: the mean of untrained networks
    }

    [Fact]
    public void TheLearningRateBoundIsTheLanczosEstimateOfTheInMemoryPathAndAnUnstableRateIsRefused()
    {
        var (x, y, xs) = Data();
        var kernel = new NeuralKernel(Relu, KernelOutputs.Ntk);
        var kxx = kernel.Compute(x);
        var options = new DynamicsOptions { Ridge = Ridge.Absolute(1e-2), Method = EnsembleMethod.Lanczos };
        var streamed = FromMatrix(KernelOutputs.Ntk, kxx, y, options);
        double bound = InMemory(KernelOutputs.Ntk, kxx, y, options).MaxLearningRate;
        Assert.Equal(bound, streamed.MaxLearningRate, bound * 1e-10);
        var fast = FromMatrix(KernelOutputs.Ntk, kxx, y, options with { LearningRate = 1.5 * bound });
        Assert.Throws<UnstableLearningRateException>(() => fast.PredictTrajectory([10.0], kernel, x, xs));
        Assert.Single(fast.PredictTrajectory([double.PositiveInfinity], kernel, x, xs).Predictions);   // t = ∞ does not depend on η
        var allowed = FromMatrix(KernelOutputs.Ntk, kxx, y, options with { LearningRate = 1.5 * bound, AllowUnstableLearningRate = true });
        Assert.Single(allowed.PredictTrajectory([10.0], kernel, x, xs).Predictions);
    }

    [Fact]
    public void InfinityWithoutARidgeIsRefusedButFiniteTimesWork()
    {
        var (x, y, xs) = Data();
        var kernel = new NeuralKernel(Relu, KernelOutputs.Nngp);
        var kxx = kernel.Compute(x);
        var streamed = FromMatrix(KernelOutputs.Nngp, kxx, y, new DynamicsOptions { LearningRate = 0.5 });
        var e = Assert.Throws<InvalidOperationException>(() => streamed.PredictTrajectory([1.0, double.PositiveInfinity], kernel, x, xs));
        Assert.Contains("needs a ridge", e.Message);
        var eigen = InMemory(KernelOutputs.Nngp, kxx, y, new DynamicsOptions { LearningRate = 0.5, Method = EnsembleMethod.Eigen })
            .Predict(5.0, Test(KernelOutputs.Nngp, kernel.Compute(xs, x)), CovarianceMode.None);
        var mean = streamed.PredictTrajectory([5.0], kernel, x, xs).Predictions[0].Mean;
        Assert.True(TestData.RelativeError(mean, eigen.Mean) <= 1e-8);
    }

    [Fact]
    public void TheEigenMethodAndAKindOtherThanOneEnsembleAreRefused()
    {
        var (x, y, _) = Data();
        var kxx = new NeuralKernel(Relu, KernelOutputs.Ntk).Compute(x);
        Assert.Throws<ArgumentException>(() => FromMatrix(KernelOutputs.Ntk, kxx, y, new DynamicsOptions { Method = EnsembleMethod.Eigen }));
        Assert.Throws<ArgumentException>(() => FromMatrix(KernelOutputs.Both, kxx, y, DynamicsOptions.Default));
        Assert.Throws<ArgumentException>(() => new OperatorEnsemble(KernelOutputs.Ntk, ConjugateGradient.FromMatrix(kxx), kxx.Rows + 1, 1.0, y));
    }
}
