using Tangent.Experiments;

namespace Tangent.Tests.Experiments;

/// <summary>Algorithm independence (Roberts &amp; Yaida §10.2.2): the claims of `tangent experiment algorithms` on a small run.</summary>
public class AlgorithmsExperimentTests
{
    private static readonly AlgorithmsSettings Small = new() { Widths = [32, 2048], Repeats = 2, TestPoints = 40 };

    [Fact]
    public void AtInfiniteWidthEveryAlgorithmConvergesToKernelRegressionAndWidthShrinksTheSpread()
    {
        var r = AlgorithmsExperiment.Run(Small);
        Assert.Equal(AlgorithmsExperiment.Algorithms, r.Infinite.Select(i => i.Name));
        foreach (var run in r.Infinite)
        {
            Assert.True(run.Distance[^1] < 1e-6, $"{run.Name}: max |f* − Θ*Θ⁻¹y| = {run.Distance[^1]}");
            Assert.True(run.TrainResidual < 1e-6, $"{run.Name}: train residual {run.TrainResidual}");
        }
        for (int a = 0; a < r.Infinite.Count; a++)
            for (int b = a + 1; b < r.Infinite.Count; b++)
                for (int i = 0; i < r.TestS.Length; i++) Assert.Equal(r.Infinite[a].Prediction[i], r.Infinite[b].Prediction[i], 6);
        Assert.True(r.ClosedFormGap < 1e-9, $"gradient descent against its closed form: {r.ClosedFormGap}");
        // the distance falls along the path (not a constant that happens to be small)
        var gd = r.Infinite[0];
        Assert.True(gd.Distance[0] > 1e3 * gd.Distance[^1], $"gradient descent: first {gd.Distance[0]}, last {gd.Distance[^1]}");

        double narrow = r.Rows[0].Spread, wide = r.Rows[^1].Spread;
        Assert.True(narrow > 0 && wide < 0.6 * narrow, $"spread at width 32: {narrow}, at width 2048: {wide}");
        foreach (var row in r.Rows)
            Assert.All(row.TrainLoss, l => Assert.True(l < 1e-4, $"width {row.Width}: a training loss {l} is not converged"));
    }

    [Fact]
    public void TheReportHasItsPlotsAndTables()
    {
        var s = Small with { Widths = [32, 64], NetworkSteps = 200, Repeats = 1, Steps = 500 };
        var report = new Report("t");
        AlgorithmsExperiment.AddTo(report, AlgorithmsExperiment.Run(s), s);
        foreach (string f in new[] { "algorithms-infinite-distance.png", "algorithms-infinite-predictions.png", "algorithms-spread.png", "algorithms-finite-predictions.png", "algorithms-infinite.csv", "algorithms-infinite-curves.csv", "algorithms-finite.csv" })
            Assert.Contains(f, report.Files);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(16, 17)]
    [InlineData(16, 0)]
    public void TooFewPointsOrABatchOutsideTheTrainingSetIsRefused(int train, int batch)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => AlgorithmsExperiment.Run(new AlgorithmsSettings { TrainPoints = train, BatchSize = batch }));
        Assert.Contains(train < 2 ? "training points" : "batch size", e.Message, StringComparison.Ordinal);
    }
}
