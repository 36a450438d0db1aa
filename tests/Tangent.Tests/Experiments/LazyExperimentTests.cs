using Tangent.Cli;
using Tangent.Experiments;

namespace Tangent.Tests.Experiments;

public class LazyExperimentTests
{
    [Fact]
    public void NtkKernelChangeFallsWithWidthWhileTheMeanFieldKernelKeepsMoving()
    {
        var s = new LazySettings { DenseWidths = [32, 128, 512], ConvWidths = [16, 64], Steps = 150, CirclePoints = 20, Images = 32, ProbePoints = 8 };
        var r = LazyExperiment.Run(s);
        Assert.Equal(10, r.Rows.Count);
        foreach (string task in new[] { "dense", "conv" })
        {
            var ntk = r.Rows.Where(x => x.Task == task && x.Parameterization == LazyExperiment.Ntk).ToList();
            var mf = r.Rows.Where(x => x.Task == task && x.Parameterization == LazyExperiment.MeanField).ToList();
            double slope = LazyExperiment.SlopeOf(r, task, LazyExperiment.Ntk).KernelSlope;
            Assert.True(slope < -0.3, $"{task}: 'ntk' kernel-change slope {slope} (changes {string.Join(", ", ntk.Select(x => x.KernelChange))})");
            Assert.True(LazyExperiment.SlopeOf(r, task, LazyExperiment.Ntk).WeightSlope < -0.3, $"{task}: weights {string.Join(", ", ntk.Select(x => x.WeightChange))}");
            Assert.True(mf[^1].KernelChange >= 0.5 * mf[0].KernelChange, $"{task}: mean-field kernel changes {string.Join(", ", mf.Select(x => x.KernelChange))}");
            // The contrast at the largest width: the mean-field kernel moves several times more than the lazy one.
            Assert.True(mf[^1].KernelChange > 3 * ntk[^1].KernelChange, $"{task}: mean-field {mf[^1].KernelChange} vs ntk {ntk[^1].KernelChange}");
            // Both trained: the loss fell well below its initial value.
            Assert.All(ntk.Concat(mf), x => Assert.True(x.FinalLoss < 0.5 * x.InitialLoss, $"{task} {x.Parameterization} {x.Width}: loss {x.InitialLoss} → {x.FinalLoss}"));
        }
        var report = new Report("lazy");
        LazyExperiment.AddTo(report, r, s);
        Assert.Contains("lazy-kernel.png", report.Files);
        Assert.Contains("lazy-weights.png", report.Files);
        Assert.Contains("lazy-slopes.csv", report.Files);
    }

    [Fact]
    public void RelativeChangeAndSlopeAreTheirDefinitions()
    {
        Assert.Equal(0.5, LazyExperiment.RelativeChange([2.0, 0.0], [2.0, 1.0]), 12);
        Assert.Equal(-0.5, LazyExperiment.FitSlope([1.0, 4.0, 16.0], [1.0, 0.5, 0.25]), 12);
    }

    [Fact]
    public void LazyCommandWritesItsReportAndRefusesABadWidth()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-lazy-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = new StringWriter(); var e = new StringWriter();
            int rc = TangentCli.Run(["experiment", "lazy", "--widths", "8,16", "--channels", "2,4", "--steps", "3", "--out", dir], o, e);
            Assert.True(rc == 0, e.ToString());
            Assert.Contains("dense mean-field: slopes against width", o.ToString());
            Assert.Contains("conv ntk", o.ToString());
            Assert.True(File.Exists(Path.Combine(dir, "lazy-kernel.png")));
            Assert.Contains("lazy.dense_widths", File.ReadAllText(Path.Combine(dir, "settings.txt")));
            e = new StringWriter();
            rc = TangentCli.Run(["experiment", "lazy", "--widths", "8,zero", "--out", dir + "-bad"], new StringWriter(), e);
            Assert.Equal(2, rc);
            Assert.Contains("--widths: 'zero' is not a positive integer", e.ToString());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
