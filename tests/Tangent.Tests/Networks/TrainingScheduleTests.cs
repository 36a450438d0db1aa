using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Tests.Networks;

/// <summary>Heavy-ball momentum and the decaying learning rate of <see cref="Training.Train"/> against the recurrence written out by hand.</summary>
public class TrainingScheduleTests
{
    private static (Network Net, Matrix X, Matrix Y) Small()
    {
        var net = Network.Create(Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)"), 3, 6, 1, seed: 4);
        return (net, NetworkTests.RandomMatrix(5, 3, 8), NetworkTests.RandomMatrix(5, 1, 9));
    }

    [Theory]
    [InlineData(0.9, null)]
    [InlineData(0.0, 2.0)]
    [InlineData(0.5, 3.0)]
    public void MomentumAndDecayFollowTheHeavyBallRecurrence(double beta, double? tau)
    {
        var (net, x, y) = Small();
        var manual = net.Clone();
        const double eta = 0.3;
        const int steps = 4;
        Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = steps, Momentum = beta, DecaySteps = tau });
        var theta = manual.GetParameters();
        var previous = (double[])theta.Clone();
        for (int t = 0; t < steps; t++)
        {
            manual.SetParameters(theta);
            var (_, g) = manual.LossGradient(x, y);
            double rate = tau is { } d ? eta / (1 + t / d) : eta;
            var next = new double[theta.Length];
            for (int k = 0; k < theta.Length; k++) next[k] = theta[k] - rate * g[k] + beta * (theta[k] - previous[k]);
            previous = theta;
            theta = next;
        }
        var trained = net.GetParameters();
        for (int k = 0; k < theta.Length; k++) Assert.Equal(theta[k], trained[k], 12);
    }

    [Fact]
    public void TheDefaultsKeepPlainGradientDescent()
    {
        var (a, x, y) = Small();
        var b = a.Clone();
        Training.Train(a, x, y, new TrainingOptions { LearningRate = 0.3, Steps = 5 });
        var theta = b.GetParameters();
        for (int t = 0; t < 5; t++)
        {
            b.SetParameters(theta);
            var (_, g) = b.LossGradient(x, y);
            for (int k = 0; k < theta.Length; k++) theta[k] -= 0.3 * g[k];
        }
        Assert.Equal(theta, a.GetParameters());
    }

    [Theory]
    [InlineData(1.0, null)]
    [InlineData(-0.1, null)]
    [InlineData(0.5, 0.0)]
    public void AMomentumOutsideZeroToOneOrANonPositiveDecayIsRefused(double beta, double? tau)
    {
        var (net, x, y) = Small();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Training.Train(net, x, y, new TrainingOptions { Momentum = beta, DecaySteps = tau, Steps = 1 }));
        Assert.Contains(tau is null ? "momentum" : "decay time", e.Message, StringComparison.Ordinal);
    }
}
