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
}
