using Tangent.Dynamics;
using Tangent.Numerics;
using static Tangent.Tests.Dynamics.DynamicsFixtures;

namespace Tangent.Tests.Dynamics;

public sealed class GeneralizationErrorTests
{
    [Fact]
    public void HandExampleSplitsIntoBiasAndVariance()
    {
        // μ = [[1, 0], [0, 2]], y = [[0, 0], [0, 1]], variances [0.5, 1.5] for each of k = 2 outputs.
        var p = new EnsemblePrediction(3, Matrix.FromRows([1.0, 0.0], [0.0, 2.0]), null, [0.5, 1.5]);
        var e = GeneralizationError.Evaluate(p, Matrix.FromRows([0.0, 0.0], [0.0, 1.0]));
        Assert.Equal(1.0, e.Bias, 15);        // ½·(1 + 1)
        Assert.Equal(2.0, e.Variance, 15);    // ½·2·(0.5 + 1.5)
        Assert.Equal(3.0, e.Total, 15);
        Assert.Equal(4, e.Entries);
        Assert.Equal(0.25, e.BiasPerEntry, 15);
        Assert.Equal(0.5, e.VariancePerEntry, 15);
        Assert.Equal(0.75, e.TotalPerEntry, 15);
        Assert.Null(e.Accuracy); // target row 0 is [0, 0]: no unique label, so these are not class targets
    }

    [Fact]
    public void ExpectedLossOfSampledNetworksEqualsBiasPlusVariance()
    {
        var k = Relu(n: 10, m: 6, k: 2, seed: 40);
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.5 });
        var p = ensemble.Predict(30, new TestKernels { NtkTestTrain = k.NtkTestTrain, NngpTestTrain = k.NngpTestTrain, NngpTestTest = k.NngpTestTest }, CovarianceMode.Full);
        var e = GeneralizationError.Evaluate(p, k.YTest);
        Assert.Equal(e.Bias + e.Variance, e.Total, 14);

        var cov = p.Covariance!.Clone();
        for (int i = 0; i < 6; i++) cov[i, i] += 1e-12;
        var l = Cholesky.Compute(cov).Factor;
        var rng = new Random(41);
        const int samples = 20000;
        double sum = 0, sum2 = 0;
        for (int s = 0; s < samples; s++)
        {
            var f = LinearAlgebra.Multiply(l, Matrix.Build(6, 2, (_, _) => Gaussian(rng)));
            double loss = 0;
            for (int i = 0; i < 6; i++)
                for (int c = 0; c < 2; c++) { double d = p.Mean[i, c] + f[i, c] - k.YTest[i, c]; loss += 0.5 * d * d; }
            sum += loss;
            sum2 += loss * loss;
        }
        double mean = sum / samples, sd = Math.Sqrt(sum2 / samples - mean * mean);
        Assert.True(Math.Abs(mean - e.Total) < 5 * sd / Math.Sqrt(samples), $"Monte Carlo {mean:G5} vs {e.Total:G5}");
    }

    [Fact]
    public void AccuracyIsTheArgmaxOfTheMeanForOneHotTargets()
    {
        var y = Matrix.FromRows([-0.1, 0.9, -0.1], [0.9, -0.1, -0.1], [-0.1, -0.1, 0.9], [0.9, -0.1, -0.1]);
        var mean = Matrix.FromRows([0.0, 0.5, 0.2], [0.3, 0.1, 0.0], [0.6, 0.1, 0.4], [0.1, 0.2, 0.0]);
        var e = GeneralizationError.Evaluate(new EnsemblePrediction(double.PositiveInfinity, mean, null, [0, 0, 0, 0]), y);
        Assert.Equal(0.5, e.Accuracy);
        Assert.Null(GeneralizationError.ClassificationAccuracy(Matrix.FromRows([1.0]), Matrix.FromRows([1.0])));
    }

    [Fact]
    public void MissingVarianceOrWrongShapeIsReported()
    {
        var p = new EnsemblePrediction(1, new Matrix(3, 2), null, null);
        Assert.Contains("CovarianceMode.Diagonal", Assert.Throws<ArgumentException>(() => GeneralizationError.Evaluate(p, new Matrix(3, 2))).Message);
        var q = p with { Variance = [1, 1, 1] };
        Assert.Contains("3×2", Assert.Throws<ArgumentException>(() => GeneralizationError.Evaluate(q, new Matrix(2, 3))).Message);
    }
}
