using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary>One accuracy for the whole library: labels, one-hot targets and the ensemble error agree.</summary>
public sealed class MetricsTests
{
    private static readonly Matrix Scores = Matrix.FromRows([0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [0.1, 0.8, 0.1], [0.4, 0.35, 0.25]);

    [Fact]
    public void AccuracyFromLabelsAndFromOneHotTargetsAgree()
    {
        int[] labels = [0, 2, 0, 0];   // rows 1, 2 and 4 right
        Assert.Equal(0.75, Metrics.Accuracy(Scores, labels));
        var shiftedOneHot = Preprocessing.OneHot(labels, 3, shift: -0.1);
        Assert.Equal(0.75, Metrics.Accuracy(Scores, shiftedOneHot));
        var pred = new EnsemblePrediction(double.PositiveInfinity, Scores, null, null);
        Assert.Equal(0.75, GeneralizationError.ClassificationAccuracy(pred.Mean, shiftedOneHot));
    }

    [Fact]
    public void TargetsThatAreNotClassLabelsHaveNoAccuracy()
    {
        Assert.Null(Preprocessing.LabelsOf(Matrix.FromRows([1.0], [0.0])));               // one column: a regression target
        Assert.Null(Preprocessing.LabelsOf(Matrix.FromRows([0.5, 0.5], [1.0, 0.0])));     // a tie: no unique class
        Assert.Null(Metrics.Accuracy(Matrix.FromRows([1.0, 0.0], [0.0, 1.0]), Matrix.FromRows([0.5, 0.5], [1.0, 0.0])));
        Assert.Equal(new[] { 1, 0 }, Preprocessing.LabelsOf(Matrix.FromRows([0.0, 1.0], [1.0, 0.0]))!);
    }

    [Fact]
    public void RegressionScoresMatchHandComputedValues()
    {
        var truth = Matrix.FromRows([1.0], [2.0], [3.0], [4.0]);
        var prediction = Matrix.FromRows([1.5], [2.0], [2.0], [5.0]);   // errors 0.5, 0, −1, 1
        var s = Metrics.Regression(prediction, truth);
        Assert.Equal(0.5625, s.MeanSquaredError, 15);
        Assert.Equal(0.625, s.MeanAbsoluteError, 15);
        Assert.Equal(1 - 2.25 / 5, s.RSquared, 15);                      // SS_tot = 2.25 + 0.25 + 0.25 + 2.25
    }

    [Fact]
    public void RSquaredAveragesColumnsAndHandlesAConstantTruth()
    {
        var truth = Matrix.FromRows([1.0, 2.0], [3.0, 2.0]);
        Assert.Equal((1 + 1) / 2.0, Metrics.RSquared(truth, truth));
        Assert.Equal((1 + 0) / 2.0, Metrics.RSquared(Matrix.FromRows([1.0, 2.0], [3.0, 3.0]), truth));   // the constant column predicted wrongly scores 0
        Assert.Throws<ArgumentException>(() => Metrics.RSquared(Matrix.FromRows([1.0]), Matrix.FromRows([1.0])));
    }

    [Fact]
    public void ConfusionMatrixCountsTrueClassesByRow()
    {
        var c = Metrics.ConfusionMatrix([0, 1, 2, 2, 1], [0, 2, 2, 1, 1], 3);
        Assert.Equal([1, 0, 0], c[0]);
        Assert.Equal([0, 1, 1], c[1]);
        Assert.Equal([0, 1, 1], c[2]);
        var e = Assert.Throws<ArgumentException>(() => Metrics.ConfusionMatrix([0, 3], [0, 0], 3));
        Assert.Contains("Row 2", e.Message);
        Assert.Equal(0.6, Metrics.Accuracy(new[] { "a", "b", "b", "c", "a" }, new[] { "a", "b", "c", "c", "b" }));
    }

    [Fact]
    public void LogLossNeedsProbabilities()
    {
        var p = Matrix.FromRows([0.7, 0.3], [0.2, 0.8], [0.6, 0.4]);
        Assert.Equal(-(Math.Log(0.7) + Math.Log(0.8) + Math.Log(0.4)) / 3, Metrics.LogLoss(p, [0, 1, 1]), 14);
        var scores = Assert.Throws<ArgumentException>(() => Metrics.LogLoss(Matrix.FromRows([1.2, -0.2]), [0]));
        Assert.Contains("not scores", scores.Message);
        Assert.Throws<ArgumentException>(() => Metrics.LogLoss(Matrix.FromRows([0.5, 0.4]), [0]));
        Assert.Equal(-Math.Log(2.220446049250313e-16), Metrics.LogLoss(Matrix.FromRows([0.0, 1.0]), [0]), 10);   // clipped, not infinite
    }

    [Fact]
    public void CoverageCountsTargetsInsideTheIntervals()
    {
        var mean = new Matrix(4, 1);
        var variance = Matrix.Build(4, 1, (_, _) => 1.0);
        var truth = Matrix.FromRows([0.5], [1.5], [-2.5], [1.0]);
        var c = Metrics.Calibration(mean, variance, truth);
        Assert.Equal(0.5, c.WithinOneSigma);
        Assert.Equal(0.75, c.Within196Sigma);
        Assert.Equal(4, c.Count);
        Assert.Equal(1.0, Metrics.Coverage(mean, Matrix.Build(4, 1, (_, _) => 9.0), truth, 1));
        Assert.Throws<ArgumentException>(() => Metrics.Coverage(mean, Matrix.Build(4, 1, (_, _) => -1.0), truth, 1));
    }
}
