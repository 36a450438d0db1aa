using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Tests.Networks;

/// <summary>The readout multiplier α of <see cref="Network.Create"/> (docs/NETWORKS.md): f = α·g, with gradients and
/// kernels carrying α, and α = 1 the network exactly as before.</summary>
public class OutputScaleTests
{
    private static readonly Architecture Arch = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)");

    private static Matrix Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(n, 3, (_, _) => rng.NextDouble() * 2 - 1);
    }

    [Fact]
    public void ScaledNetworkOutputsGradientsAndKernelsCarryTheMultiplier()
    {
        var x = Inputs(5, 1);
        var y = Matrix.Build(5, 1, (i, _) => Math.Sin(3 * x[i, 0]));
        const double alpha = 0.125;
        var plain = Network.Create(Arch, 3, 16, 1, seed: 4);
        var scaled = Network.Create(Arch, 3, 16, 1, seed: 4, outputScale: alpha);
        Assert.Equal(plain.GetParameters(), scaled.GetParameters());   // the draw does not depend on α
        var g = plain.Predict(x);
        var f = scaled.Predict(x);
        for (int i = 0; i < 5; i++) Assert.Equal(alpha * g.Data[i], f.Data[i], 12);
        // Θ̂_f = α²·Θ̂_g, and the contracted NTK is still J·Jᵀ of the scaled network.
        var ntkG = plain.Ntk(x);
        var ntkF = scaled.Ntk(x);
        var jac = scaled.Jacobian(x);
        var jjt = LinearAlgebra.Multiply(jac, jac, Op.None, Op.Transpose);
        for (int k = 0; k < ntkG.Data.Length; k++)
        {
            Assert.Equal(alpha * alpha * ntkG.Data[k], ntkF.Data[k], 10);
            Assert.Equal(jjt.Data[k], ntkF.Data[k], 10);
        }
        // The loss gradient of f = α·g against central finite differences of the loss.
        var (loss, grad) = scaled.LossGradient(x, y);
        Assert.Equal(scaled.Loss(x, y), loss, 12);
        var theta = scaled.GetParameters();
        foreach (int k in new[] { 0, 7, theta.Length / 2, theta.Length - 1 })
        {
            const double h = 1e-5;
            var p = (double[])theta.Clone();
            p[k] += h; scaled.SetParameters(p); double up = scaled.Loss(x, y);
            p[k] -= 2 * h; scaled.SetParameters(p); double down = scaled.Loss(x, y);
            Assert.Equal((up - down) / (2 * h), grad[k], 7);
        }
        scaled.SetParameters(theta);
        Assert.Equal(alpha, scaled.Clone().OutputScale);
        Assert.Equal(f.Data, scaled.Clone().Predict(x).Data);
    }

    [Fact]
    public void DefaultOutputScaleTrainsExactlyAsBefore()
    {
        var x = Inputs(6, 2);
        var y = Matrix.Build(6, 1, (i, _) => x[i, 1] - x[i, 2]);
        var a = Network.Create(Arch, 3, 12, 1, seed: 9);
        var b = Network.Create(Arch, 3, 12, 1, seed: 9, outputScale: 1);
        Assert.Equal(1, a.OutputScale);
        Training.Train(a, x, y, new TrainingOptions { LearningRate = 0.5, Steps = 20 });
        Training.Train(b, x, y, new TrainingOptions { LearningRate = 0.5, Steps = 20 });
        Assert.Equal(a.GetParameters(), b.GetParameters());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ZeroOrNonFiniteOutputScaleIsRefused(double alpha)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Network.Create(Arch, 3, 4, outputScale: alpha));
        Assert.Contains("output scale", e.Message);
    }
}
