using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Models;

namespace Tangent.Tests.Models;

public sealed class NeuralKernelRegressorTests
{
    private const string Spec = "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1)";

    [Fact]
    public void AtInfiniteTimeTheEnsembleMeanIsKernelRegressionWithThatKernel()
    {
        var x = TestData.Random(20, 4, 1);
        var y = TestData.Random(20, 2, 2);
        var xs = TestData.Random(6, 4, 3);
        foreach (var kind in new[] { KernelOutputs.Ntk, KernelOutputs.Nngp })
        {
            var model = (NeuralKernelRegressor.Parse(Spec) with { Kernel = kind }).Fit(x, y);
            Assert.Equal(kind, model.Ensemble.Kind);
            var mean = model.Predict(xs);
            var reference = new KernelRegression(NeuralKernel.Parse(Spec, kind)).Fit(x, y).Predict(xs);
            Assert.True(mean.MaxAbsDifference(reference) < 1e-8 * Math.Max(1, reference.FrobeniusNorm()), kind.ToString());
        }
    }

    [Theory]
    [InlineData(KernelOutputs.Both)]
    [InlineData((KernelOutputs)0)]
    public void AnEnsembleKindThatIsNotExactlyNtkOrNngpIsRefused(KernelOutputs kind)
    {
        var e = Assert.Throws<ArgumentException>(() => (NeuralKernelRegressor.Parse(Spec) with { Kernel = kind }).Fit(TestData.Random(4, 3, 1), TestData.Random(4, 1, 2)));
        Assert.Contains("KernelOutputs.Ntk", e.Message);
        Assert.Contains(kind.ToString(), e.Message);
    }

    [Fact]
    public void AtTimeZeroTheMeanIsZeroAndTheVarianceIsThePrior()
    {
        var x = TestData.Random(10, 3, 4);
        var y = TestData.Random(10, 1, 5);
        var xs = TestData.Random(5, 3, 6);
        var model = (NeuralKernelRegressor.Parse(Spec) with { Time = 0, LearningRate = 0.1 }).Fit(x, y);
        var p = model.PredictWithCovariance(xs, CovarianceMode.Diagonal);
        Assert.All(p.Mean.Data, v => Assert.Equal(0.0, v, 1e-12));
        var prior = Architecture.Parse(Spec).ComputeKernels(xs, null, KernelOutputs.Nngp).Nngp.Diagonal();
        for (int i = 0; i < 5; i++) Assert.Equal(prior[i], p.Variance![i], 1e-10);
    }

    [Fact]
    public void TrajectoryApproachesTheLimitAndFullCovarianceMatchesDiagonal()
    {
        var x = TestData.Random(12, 3, 7);
        var y = TestData.Random(12, 1, 8);
        var xs = TestData.Random(4, 3, 9);
        var model = (NeuralKernelRegressor.Parse(Spec) with { LearningRate = 0.5 }).Fit(x, y);
        var traj = model.PredictTrajectory(xs, [1, 10, 1e7, double.PositiveInfinity], CovarianceMode.Full);
        Assert.True(traj[2].Mean.MaxAbsDifference(traj[3].Mean) < 1e-6);
        var diag = model.PredictTrajectory(xs, [10], CovarianceMode.Diagonal)[0];
        for (int i = 0; i < 4; i++) Assert.Equal(traj[1].Covariance![i, i], diag.Variance![i], 1e-10);
        var e = Assert.Throws<Tangent.Dynamics.UnstableLearningRateException>(() => (NeuralKernelRegressor.Parse(Spec) with { LearningRate = 1e6, Time = 3 }).Fit(x, y).Predict(xs));
        Assert.Contains("bound", e.Message);
    }
}

public sealed class NngpDiagonalTests
{
    [Theory]
    [InlineData("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1)")]
    [InlineData("repeat(3){dense(w=1.3,b=0.2) erf} dense(w=1) gelu dense")]
    [InlineData("dense(w=1.1) parallel{identity | dense relu dense} relu dense(w=1.2,b=0.3)")]
    [InlineData("dense(param=standard,width=64,w=1.2,b=0.1) relu dense(param=standard,w=1.1)")]
    public void EqualsTheDiagonalOfTheFullKernel(string spec)
    {
        var arch = Architecture.Parse(spec);
        var x = TestData.Random(9, 4, 21);
        x.Row(3).Clear(); // a zero input
        var full = arch.ComputeKernels(x, null, KernelOutputs.Nngp).Nngp.Diagonal();
        var diag = arch.NngpDiagonal(x);
        for (int i = 0; i < 9; i++) Assert.Equal(full[i], diag[i], 1e-12 * Math.Max(1, Math.Abs(full[i])));
        var nk = new NeuralKernel(arch, KernelOutputs.Nngp).Diagonal(x);
        Assert.Equal(diag, nk);
    }
}
