using Tangent.Dynamics;
using Tangent.Numerics;
using static Tangent.Tests.Dynamics.DynamicsFixtures;

namespace Tangent.Tests.Dynamics;

public sealed class GaussianProcessInferenceTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void PosteriorAndLogMarginalLikelihoodMatchTheDirectFormulas(double ridge)
    {
        var k = Relu(n: 12, m: 5, k: 2, seed: 30);
        var gp = new GaussianProcessInference(k.NngpTrainTrain, k.YTrain, Ridge.Absolute(ridge), kernelName: "NNGP");
        var kk = D(k.NngpTrainTrain) + ridge * Id(12);
        var inv = kk.Inverse();
        var mean = D(k.NngpTestTrain) * inv * D(k.YTrain);
        var cov = D(k.NngpTestTest) - D(k.NngpTestTrain) * inv * D(k.NngpTestTrain).Transpose();
        var p = gp.Predict(k.NngpTestTrain, k.NngpTestTest);
        Near(T(mean), p.Mean, 1e-9, "mean");
        Near(T(cov), p.Covariance!, 1e-9, "covariance");
        var d = gp.Predict(k.NngpTestTrain, kernelTestTestDiagonal: k.NngpTestTest.Diagonal(), mode: CovarianceMode.Diagonal);
        Near(p.Variance!, d.Variance!, 1e-12, "variance");
        Assert.Equal(double.PositiveInfinity, p.Time);

        double fit = 0;
        for (int c = 0; c < 2; c++)
        {
            var y = D(k.YTrain).Column(c);
            fit += y * (inv * y);
        }
        double lml = -0.5 * fit - 0.5 * 2 * Math.Log(kk.Determinant()) - 0.5 * 24 * Math.Log(2 * Math.PI);
        Assert.Equal(lml, gp.LogMarginalLikelihood(), 8);
    }

    [Fact]
    public void NtkGpUsesTheNtkAsTheKernelAndDiffersFromTheNtkEnsembleOnlyInCovariance()
    {
        var k = Relu(n: 10, m: 4, k: 1, seed: 31);
        var ntkGp = new GaussianProcessInference(k.NtkTrainTrain, k.YTrain, kernelName: "NTK");
        var post = ntkGp.Predict(k.NtkTestTrain, k.NtkTestTest);
        var inv = D(k.NtkTrainTrain).Inverse();
        Near(T(D(k.NtkTestTest) - D(k.NtkTestTrain) * inv * D(k.NtkTestTrain).Transpose()), post.Covariance!, 1e-9, "NTK-GP covariance");
        var ensemble = InfiniteEnsemble.Ntk(k.NtkTrainTrain, k.NngpTrainTrain, k.YTrain).Predict(double.PositiveInfinity,
            new TestKernels { NtkTestTrain = k.NtkTestTrain, NngpTestTrain = k.NngpTestTrain, NngpTestTest = k.NngpTestTest }, CovarianceMode.Full);
        Near(ensemble.Mean, post.Mean, 1e-10, "same mean Θ*ₓΘ⁻¹Y");
        Assert.True(ensemble.Covariance!.MaxAbsDifference(post.Covariance!) > 1e-6);
    }

    [Fact]
    public void SingularKernelUsesThePseudoInverseAndRefusesTheLikelihood()
    {
        var phi = RandomMatrix(7, 2, 32);
        var kk = LinearAlgebra.Multiply(phi, phi, Op.None, Op.Transpose);
        var kt = LinearAlgebra.Multiply(RandomMatrix(3, 2, 33), phi, Op.None, Op.Transpose);
        var y = RandomMatrix(7, 1, 34);
        var gp = new GaussianProcessInference(kk, y);
        Assert.True(gp.UsesPseudoInverse);
        Near(T(D(kt) * D(kk).PseudoInverse() * D(y)), gp.Predict(kt, mode: CovarianceMode.None).Mean, 1e-8, "mean");
        Assert.Contains("ridge", Assert.Throws<InvalidOperationException>(() => gp.LogMarginalLikelihood()).Message);
        var ridged = new GaussianProcessInference(kk, y, Ridge.Relative(1e-3));
        Assert.False(ridged.UsesPseudoInverse);
        double meanDiag = kk.Diagonal().Average();
        Assert.Equal(1e-3 * meanDiag, ridged.RidgeValue, 14);
    }
}
