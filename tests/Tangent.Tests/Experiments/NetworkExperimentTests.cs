using Tangent.Cli;
using Tangent.Experiments;

namespace Tangent.Tests.Experiments;

public class NetworkExperimentTests
{
    [Fact]
    public void WidthDistanceToTheNtkPredictionShrinksAsWidthGrows()
    {
        var s = new WidthSettings { TrainPoints = 12, Widths = [16, 256, 4096], Steps = 300 };
        var r = WidthExperiment.Run(s);
        var d = r.Rows.Select(w => w.DistanceToNtk).ToArray();
        Assert.True(d[1] < 0.6 * d[0] && d[2] < 0.6 * d[1], $"distances {string.Join(", ", d)}");
        // The widest network has nearly fit the training set as the NTK flow has.
        Assert.True(r.Rows[^1].TrainLoss < 0.05, $"train loss {r.Rows[^1].TrainLoss}");
        var report = new Report("width");
        WidthExperiment.AddTo(report, r, s);
        Assert.Contains("width-distance.png", report.Files);
    }

    [Fact]
    public void CnnDistanceToTheCntkPredictionFallsAsChannelsGrow()
    {
        var s = new WidthSettings { Architecture = "conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)", TrainPoints = 24, TestPoints = 40, Widths = [4, 64], Steps = 150 };
        var r = WidthExperiment.Run(s);
        Assert.True(r.Images);
        Assert.Equal(40, r.TestY.Length);
        Assert.All(r.TestY, t => Assert.True(t is 1 or -1));
        var d = r.Rows.Select(w => w.DistanceToNtk).ToArray();
        Assert.True(d[1] < 0.6 * d[0], $"distances to the CNTK prediction {string.Join(", ", d)}");
        var report = new Report("width");
        WidthExperiment.AddTo(report, r, s);
        Assert.Contains("width-distance.png", report.Files);
        Assert.Contains(report.Files, f => f == "width-fits.png");
    }

    [Fact]
    public void WidthCommandTakesAnImageArchitectureAndRefusesABadOne()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-width-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = new StringWriter(); var e = new StringWriter();
            int rc = TangentCli.Run(["experiment", "width", "--arch", "conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)", "--widths", "2,4", "--steps", "5", "--train", "6", "--out", dir], o, e);
            Assert.True(rc == 0, e.ToString());
            Assert.Contains("channels      4:", o.ToString());
            Assert.Contains("distance to CNTK", o.ToString());
            Assert.Contains("8×8 digits", File.ReadAllText(Path.Combine(dir, "README.md")));

            e = new StringWriter();
            rc = TangentCli.Run(["experiment", "width", "--arch", "conv(size=3) relu flaten dense", "--out", dir], o, e);
            Assert.Equal(2, rc);
            Assert.Contains("flaten", e.ToString());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void DoubleDescentPeaksNearKEqualsNAndApproachesTheNngp()
    {
        var s = new DoubleDescentSettings { TrainPoints = 30, TestPoints = 200, Seeds = 3, Features = [3, 10, 20, 28, 30, 32, 40, 80, 300, 2000] };
        var r = DoubleDescentExperiment.Run(s);
        int peak = DoubleDescentExperiment.PeakFeatures(r);
        Assert.InRange(peak, 28, 32);
        double wide = r.Points[^1].TestMse, atPeak = r.Points.Max(p => p.TestMse);
        Assert.True(wide < 0.2 * atPeak, $"k = 2000: {wide}, peak {atPeak}");
        Assert.True(Math.Abs(wide - r.NngpTestMse) < 0.25 * r.NngpTestMse, $"k = 2000: {wide} vs NNGP {r.NngpTestMse}");
    }
}
