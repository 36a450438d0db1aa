using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Tests.Networks;

/// <summary>
/// The fused gradient of thin <c>dense φ dense</c> networks (FusedMlp, docs/NETWORKS.md "Fused training path")
/// against the general layer-by-layer path: losses, gradients, trained parameters and predictions on ragged
/// sizes (n and width not multiples of the 4-point groups, the 4-wide vectors or the unit blocks), for
/// (a,b)-ReLUs and lane-by-lane activations, with and without biases, both parameterizations, an output
/// scale, both losses; the fall-back of every other architecture; independence of the thread count.
/// </summary>
public class FusedTrainingTests
{
    /// <summary>(spec, points, width, outputs, output scale).</summary>
    public static TheoryData<string, int, int, int, double> Cases => new()
    {
        { "dense(w=1.4142,b=0.1) relu dense(w=1.4142,b=0.1)", 13, 37, 1, 1 },
        { "dense(w=1.4142,b=0.1) relu dense(w=1.4142,b=0.1)", 203, 131, 3, 1 },
        { "dense(w=1.3) erf dense(w=1.1)", 11, 70, 3, 1 },
        { "dense(w=1.2,b=0.4) tanh dense(w=0.9)", 6, 5, 1, 0.5 },
        { "dense(w=1.1) leaky_relu(alpha=0.2) dense(w=1.2,b=0.3)", 130, 129, 2, 1 },
        { "dense(w=1.2,b=0.3,param=standard) gelu dense(w=1,b=0.1,param=standard)", 9, 67, 3, 1 },
        { "dense(w=1.5,b=0.2) abs dense(w=1.1,b=0.1)", 1, 3, 1, 2 },
    };

    private static (Network Fused, Network General, Matrix X) Build(string spec, int n, int width, int outputs, double scale, int d = 5)
    {
        var fused = Network.Create(Architecture.Parse(spec), d, width, outputs, seed: 3, outputScale: scale);
        Assert.NotNull(fused.Fused);
        var general = fused.Clone();
        general.FusedPathEnabled = false;
        return (fused, general, NetworkTests.RandomMatrix(n, d, 7));
    }

    private static double RelativeGap(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Assert.Equal(a.Length, b.Length);
        double gap = 0, size = 0;
        for (int t = 0; t < a.Length; t++) { gap = Math.Max(gap, Math.Abs(a[t] - b[t])); size = Math.Max(size, Math.Abs(b[t])); }
        return gap / Math.Max(size, 1e-300);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedLossGradientEqualsTheGeneralPathForBothLosses(string spec, int n, int width, int outputs, double scale)
    {
        var (fused, general, x) = Build(spec, n, width, outputs, scale);
        var rng = new Random(5);
        // (The softmax of a single output is constant: cross-entropy only with k > 1.)
        var losses = outputs > 1 ? new[] { Loss.MeanSquaredError, Loss.SoftmaxCrossEntropy } : [Loss.MeanSquaredError];
        foreach (var loss in losses)
        {
            var y = loss == Loss.MeanSquaredError ? NetworkTests.RandomMatrix(n, outputs, 2)
                : Tangent.Data.Preprocessing.OneHot([.. Enumerable.Range(0, n).Select(_ => rng.Next(outputs))], outputs);
            var (lf, gf) = fused.LossGradient(x, y, loss);
            var (lg, gg) = general.LossGradient(x, y, loss);
            Assert.True(Math.Abs(lf - lg) <= 1e-12 * Math.Abs(lg), $"{spec} ({loss}): loss {lf:R} fused vs {lg:R} general");
            Assert.True(gg.Any(v => v != 0), "a zero gradient tests nothing");
            Assert.True(RelativeGap(gf, gg) < 1e-12, $"{spec} ({loss}): gradient gap {RelativeGap(gf, gg):G3}");
            Assert.True(Math.Abs(fused.Loss(x, y, loss) - lg) <= 1e-12 * Math.Abs(lg));
        }
        Assert.Equal(losses.Length, fused.FusedGradients);
        Assert.Equal(0, general.FusedGradients);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedTrainingGivesTheGeneralPathsLossesParametersAndPredictions(string spec, int n, int width, int outputs, double scale)
    {
        var (fused, general, x) = Build(spec, n, width, outputs, scale);
        var y = NetworkTests.RandomMatrix(n, outputs, 4);
        var options = new TrainingOptions { LearningRate = 0.5, Steps = 6, LossEvery = 1, Momentum = 0.5, DecaySteps = 4 };
        var tf = Training.Train(fused, x, y, options);
        var tg = Training.Train(general, x, y, options);
        Assert.Equal(6, fused.FusedGradients);
        Assert.True(Math.Abs(tf.FinalLoss - tg.FinalLoss) <= 1e-12 * tg.FinalLoss, $"{spec}: final loss {tf.FinalLoss:R} vs {tg.FinalLoss:R}");
        Assert.Equal(tg.Losses.Count, tf.Losses.Count);
        for (int s = 0; s < tg.Losses.Count; s++)
            Assert.True(Math.Abs(tf.Losses[s].Loss - tg.Losses[s].Loss) <= 1e-12 * tg.Losses[s].Loss, $"{spec}: loss at step {tg.Losses[s].Step}");
        Assert.True(RelativeGap(fused.GetParameters(), general.GetParameters()) < 1e-12);
        Assert.True(RelativeGap(fused.Predict(x).Data, general.Predict(x).Data) < 1e-12);
        Assert.True(tg.FinalLoss < tg.Losses[0].Loss, "training that does not move tests nothing");
    }

    [Fact]
    public void MinibatchTrainingTakesTheFusedPathAndMatchesTheGeneralOne()
    {
        var (fused, general, x) = Build("dense(w=1.4,b=0.1) relu dense(w=1.2)", 50, 45, 2, 1);
        var y = NetworkTests.RandomMatrix(50, 2, 8);
        var options = new TrainingOptions { LearningRate = 0.3, Steps = 7, BatchSize = 17, Seed = 2 };
        double lf = Training.Train(fused, x, y, options).FinalLoss, lg = Training.Train(general, x, y, options).FinalLoss;
        Assert.Equal(7, fused.FusedGradients);
        Assert.True(Math.Abs(lf - lg) <= 1e-12 * lg);
        Assert.True(RelativeGap(fused.GetParameters(), general.GetParameters()) < 1e-12);
    }

    [Theory]
    [InlineData("dense(w=1.4,b=0.1,frozen=true) relu dense(w=1.2)", 5, 1)]
    [InlineData("dense(w=1.4,b=0.1) relu dense(w=1.2,frozen=true)", 5, 1)]
    [InlineData("dense(w=1.4) relu dense(w=1.2) relu dense", 5, 1)]
    [InlineData("dense(w=1.4) relu dropout(rate=0.5) dense", 5, 1)]
    [InlineData("dense(w=1.4) layer_norm relu dense", 5, 1)]
    [InlineData("dense(w=1.4) relu dense", 65, 1)]
    [InlineData("dense(w=1.4) relu dense", 5, 17)]
    public void EveryOtherNetworkFallsBackToTheGeneralPath(string spec, int d, int outputs)
    {
        var net = Network.Create(Architecture.Parse(spec), d, 6, outputs, seed: 1);
        Assert.Null(net.Fused);
        var x = NetworkTests.RandomMatrix(4, d, 1);
        var y = NetworkTests.RandomMatrix(4, net.Outputs, 2);
        Training.Train(net, x, y, new TrainingOptions { LearningRate = 0.1, Steps = 2 });
        Assert.Equal(0, net.FusedGradients);
    }

    [Fact]
    public void TheFusedGradientDoesNotDependOnTheThreadCount()
    {
        // Large enough for both passes to run in parallel (n·width·d ≥ 65,536): 3 point tiles, 3 unit blocks.
        var (fused, _, x) = Build("dense(w=1.4142,b=0.1) relu dense(w=1.4142,b=0.1)", 150, 150, 3, 1, d: 7);
        var y = NetworkTests.RandomMatrix(150, 3, 4);
        double[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 0 })
        {
            fused.Fused!.MaxThreads = threads;
            var (_, g) = fused.LossGradient(x, y);
            first ??= g;
            Assert.Equal(first, g);
        }
    }
}
