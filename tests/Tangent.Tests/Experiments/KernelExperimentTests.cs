using Tangent.Cli;
using Tangent.Experiments;

namespace Tangent.Tests.Experiments;

public class KernelExperimentTests
{
    [Fact]
    public void PolationPassesThroughThePointsLinearExtrapolatesStraightErfSaturates()
    {
        var s = new PolationSettings();
        var r = PolationExperiment.Run(s);
        int i0 = Array.FindIndex(r.Alpha, a => Math.Abs(a) < 1e-9), i1 = Array.FindIndex(r.Alpha, a => Math.Abs(a - 1) < 1e-9);
        foreach (var c in r.Curves)
        {
            Assert.Equal(s.Targets[0], c.Mean[i0], 6);
            Assert.Equal(s.Targets[1], c.Mean[i1], 6);
            Assert.True(c.Std[i0] < 1e-4 && c.Std[i1] < 1e-4, $"{c.Name}: std at the training points {c.Std[i0]}, {c.Std[i1]}");
        }
        var lin = r.Curves.Single(c => c.Name == "linear");
        for (int i = 0; i < r.Alpha.Length; i++)
            Assert.Equal(s.Targets[0] + (s.Targets[1] - s.Targets[0]) * r.Alpha[i], lin.Mean[i], 6);
        var erf = r.Curves.Single(c => c.Name == "erf");
        Assert.True(Math.Abs(erf.Mean[^1]) < Math.Abs(lin.Mean[^1]), "erf should bend toward saturation, below the straight line");
        var relu = r.Curves.Single(c => c.Name == "relu");
        Assert.True(relu.Std[^1] > relu.Std[(i0 + i1) / 2], "variance grows away from the data");
    }

    [Fact]
    public void DepthCriticalErfStaysFlatWhileChaoticGrows()
    {
        var s = new DepthSettings { Depths = [1, 8, 32], TrainPoints = 20, TestPoints = 60 };
        var r = DepthExperiment.Run(s);
        var critical = r.Lines.Single(l => l.Label.StartsWith("erf critical", StringComparison.Ordinal));
        var chaotic = r.Lines.Single(l => l.Label.StartsWith("erf chaotic", StringComparison.Ordinal));
        double Total(DepthExperiment.Line l, int i) => l.Bias[i] + l.Variance[i];
        Assert.True(Total(critical, 2) < 1.5 * Total(critical, 0), $"critical: {Total(critical, 0)} → {Total(critical, 2)}");
        Assert.True(Total(chaotic, 2) > 3 * Total(chaotic, 0), $"chaotic: {Total(chaotic, 0)} → {Total(chaotic, 2)}");
        var reluChaos = r.Lines.Single(l => l.Label.StartsWith("relu chaotic", StringComparison.Ordinal));
        Assert.True(Total(reluChaos, 2) > 10 * Total(reluChaos, 0));
    }

    [Fact]
    public void LinearTestErrorPeaksAtDEqualsNAndGdMatchesMinimumNorm()
    {
        var s = new LinearSettings { TrainPoints = 20, TotalFeatures = 80, Features = [5, 10, 18, 20, 22, 40, 80], Seeds = 4 };
        var r = LinearExperiment.Run(s);
        Assert.Equal(20, r.MaxBy(p => p.TestMse)!.Features);
        foreach (var p in r.Where(p => Math.Abs(p.Features - 20) > 5))
            Assert.True(p.GdDistance < 1e-3, $"d = {p.Features}: GD vs min-norm {p.GdDistance}");
    }

    [Fact]
    public void ClassificationOnWineIsAccurateForEveryModel()
    {
        var r = ClassificationExperiment.Run(new ClassificationSettings { Width = 128, Steps = 200 });
        Assert.Equal(3, r.Rows.Count);
        foreach (var row in r.Rows) Assert.True(row.TestAccuracy > 0.85, $"{row.Model}: {row.TestAccuracy}");
    }

    [Fact]
    public void ExperimentCommandWritesAReportAndRejectsBadWidths()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-exp-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = new StringWriter(); var e = new StringWriter();
            int rc = TangentCli.Run(["experiment", "polation", "--out", dir], o, e);
            Assert.Equal(0, rc);
            Assert.True(File.Exists(Path.Combine(dir, "README.md")));
            Assert.True(File.Exists(Path.Combine(dir, "polation-erf.png")));
            Assert.True(File.Exists(Path.Combine(dir, "settings.txt")));
            Assert.Contains("report:", o.ToString());

            rc = TangentCli.Run(["experiment", "width", "--widths", "8,abc", "--out", dir], o, e);
            Assert.Equal(2, rc);
            Assert.Contains("'abc' is not a positive integer", e.ToString());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
