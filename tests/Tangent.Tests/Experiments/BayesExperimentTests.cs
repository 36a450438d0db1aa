using Tangent.Cli;
using Tangent.Experiments;
using Tangent.Numerics;

namespace Tangent.Tests.Experiments;

public class BayesExperimentTests
{
    [Fact]
    public void LastLayerEnsembleApproachesTheNngpPosteriorAndTheFullyTrainedOneTheNtkEnsemble()
    {
        var s = new BayesSettings { TrainPoints = 6, TestPoints = 12, Widths = [32, 512], Networks = [16, 256], Steps = 400 };
        var r = BayesExperiment.Run(s);
        var small = r.Rows.Single(x => x.Width == 32 && x.Networks == 16);
        var big = r.Rows.Single(x => x.Width == 512 && x.Networks == 256);
        // (a) closes in on the NNGP posterior as M·width grows.
        Assert.True(big.ReadoutCovariance < small.ReadoutCovariance, $"(a) covariance errors {small.ReadoutCovariance} → {big.ReadoutCovariance}");
        Assert.True(big.ReadoutMean < small.ReadoutMean, $"(a) mean errors {small.ReadoutMean} → {big.ReadoutMean}");
        Assert.True(big.ReadoutCovariance < 0.25, $"(a) covariance error {big.ReadoutCovariance}");
        // (a) is the NNGP posterior; (b) is not: it is the NTK ensemble.
        Assert.True(big.ReadoutCovariance < big.AllCovarianceVsNngp, $"(a) vs NNGP {big.ReadoutCovariance}, (b) vs NNGP {big.AllCovarianceVsNngp}");
        Assert.True(big.AllCovarianceVsNtk < big.AllCovarianceVsNngp, $"(b) vs NTK {big.AllCovarianceVsNtk}, (b) vs NNGP {big.AllCovarianceVsNngp}");
        Assert.True(big.AllMeanVsNtk < big.AllMeanVsNngp, $"(b) mean vs NTK {big.AllMeanVsNtk}, vs NNGP {big.AllMeanVsNngp}");
        // The readout trained from zero has the posterior mean but (almost) none of its covariance at width 512.
        Assert.True(big.ZeroCovariance < 0.5 * small.ZeroCovariance && big.ZeroCovariance < 0.2, $"zero-init covariance size {small.ZeroCovariance} → {big.ZeroCovariance}");
        var report = new Report("bayes");
        BayesExperiment.AddTo(report, r, s);
        Assert.Contains("bayes-width.png", report.Files);
        Assert.Contains("bayes-results.csv", report.Files);
    }

    [Fact]
    public void ReadoutLimitIsWhereGradientDescentOnTheReadoutConverges()
    {
        var rng = new Random(3);
        var psi = Matrix.Build(5, 9, (_, _) => rng.NextDouble() - 0.5);
        var targets = Enumerable.Range(0, 5).Select(i => Math.Sin(i)).ToArray();
        var theta0 = Enumerable.Range(0, 9).Select(_ => rng.NextDouble() - 0.5).ToArray();
        const double noise = 0.05;
        var limit = BayesExperiment.ReadoutLimit(psi, targets, theta0, noise);
        // Gradient descent from θ₀ on ½‖Ψθ − y‖² + ½σ²‖θ − θ₀‖².
        var theta = (double[])theta0.Clone();
        for (int step = 0; step < 20000; step++)
        {
            var r = LinearAlgebra.Multiply(psi, new Matrix(9, 1, theta));
            for (int i = 0; i < 5; i++) r.Data[i] -= targets[i];
            var g = LinearAlgebra.Multiply(psi, r, Op.Transpose);
            for (int k = 0; k < 9; k++) theta[k] -= 0.3 * (g.Data[k] + noise * (theta[k] - theta0[k]));
        }
        for (int k = 0; k < 9; k++) Assert.Equal(limit[k], theta[k], 8);
    }

    [Fact]
    public void BayesCommandWritesItsReportAndRefusesAOneNetworkEnsembleOrNoNoise()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-bayes-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = new StringWriter(); var e = new StringWriter();
            int rc = TangentCli.Run(["experiment", "bayes", "--widths", "8,16", "--networks", "4,8", "--steps", "5", "--out", dir], o, e);
            Assert.True(rc == 0, e.ToString());
            Assert.Contains("width    16, M     8: covariance error (a) last layer vs NNGP posterior", o.ToString());
            Assert.True(File.Exists(Path.Combine(dir, "bayes-fits.png")));
            e = new StringWriter();
            rc = TangentCli.Run(["experiment", "bayes", "--networks", "1,8", "--out", dir + "-bad"], new StringWriter(), e);
            Assert.Equal(2, rc);
            Assert.Contains("--networks: an ensemble needs at least 2 networks", e.ToString());
            e = new StringWriter();
            rc = TangentCli.Run(["experiment", "bayes", "--noise", "0", "--out", dir + "-bad"], new StringWriter(), e);
            Assert.Equal(2, rc);
            Assert.Contains("--noise", e.ToString());
            Assert.False(Directory.Exists(dir + "-bad"));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
