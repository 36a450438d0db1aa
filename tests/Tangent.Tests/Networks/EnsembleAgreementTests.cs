using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Tests.Networks;

/// <summary>Issue 4's missing test: the infinite-ensemble mean and covariance (docs/MATH.md §4) against a real
/// ensemble of wide networks trained by full-batch gradient descent (as Neural Tangents' testTrainedEnsemblePredCov).</summary>
public class EnsembleAgreementTests
{
    [Fact]
    public void TrainedEnsembleMatchesTheInfiniteEnsembleMeanAndCovariance()
    {
        // 512 erf networks of width 512, 100 full-batch GD steps at η = 0.3·2N/λ_max(Θ): the
        // Monte-Carlo error of a 3×3 covariance from 512 draws is about √(2/512) ≈ 6 %.
        var arch = Architecture.Parse("dense(w=1.5,b=0.2) erf dense(w=1.5,b=0.2)");
        var rng = new Random(17);
        var x = Matrix.Build(6, 3, (_, _) => rng.NextDouble() * 2 - 1);
        var xt = Matrix.Build(3, 3, (_, _) => rng.NextDouble() * 2 - 1);
        var y = Matrix.Build(6, 1, (i, _) => Math.Sin(2 * x[i, 0]) + x[i, 2]);
        var train = arch.ComputeKernels(x);
        var cross = arch.ComputeKernels(xt, x);
        var testTest = arch.ComputeKernels(xt, null, KernelOutputs.Nngp);
        double maxLr = 2.0 * 6 / LinearAlgebra.Eigen(train.Ntk).Values.Max();
        double eta = 0.3 * maxLr;
        const int steps = 100;
        var ensemble = InfiniteEnsemble.Ntk(train.Ntk, train.Nngp, y, new DynamicsOptions { LearningRate = eta });
        var predicted = ensemble.Predict(steps,
            new TestKernels { NtkTestTrain = cross.Ntk, NngpTestTrain = cross.Nngp, NngpTestTest = testTest.Nngp }, CovarianceMode.Full);

        const int networks = 512, width = 512;
        var outputs = new double[networks][];
        System.Threading.Tasks.Parallel.For(0, networks, s =>
        {
            var net = Network.Create(arch, 3, width, 1, seed: 1000 + s);
            Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = steps });
            outputs[s] = net.Predict(xt).Data;
        });
        int m = xt.Rows;
        var mean = new double[m];
        foreach (var o in outputs) for (int i = 0; i < m; i++) mean[i] += o[i] / networks;
        var cov = new Matrix(m, m);
        foreach (var o in outputs)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++) cov[i, j] += (o[i] - mean[i]) * (o[j] - mean[j]) / (networks - 1);

        double meanErr = NetworkTests.RelErr(new Matrix(m, 1, mean), predicted.Mean);
        double covErr = NetworkTests.RelErr(cov, predicted.Covariance!);
        Assert.True(meanErr < 0.1, $"mean relative error {meanErr}");
        Assert.True(covErr < 0.1, $"covariance relative error {covErr}");
    }
}
