using Tangent.Cli;
using Tangent.Experiments;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Experiments;

public sealed class StatisticsExperimentTests
{
    private static readonly StatisticsSettings Small = new() { Draws = 1500, SampleSizes = [5, 20, 400], PathLength = 30, RidgeGridSize = 13 };

    private static readonly Lazy<StatisticsExperiment.Result> Run = new(() => StatisticsExperiment.Run(Small));

    [Fact]
    public void MonteCarloCovarianceOfLeastSquaresIsSigmaSquaredTimesTheInverseGram()
    {
        var o = Run.Value.Ols;
        // Monte Carlo error of a covariance from 1500 draws is about √(2/1500) ≈ 0.04.
        Assert.True(o.RelativeError < 0.12, $"‖Σ_MC − Σ‖_F/‖Σ‖_F = {o.RelativeError}");
        Assert.True(o.InverseVsSvd < 1e-10 * o.Theory.Data.Max(Math.Abs), $"Cholesky vs SVD form {o.InverseVsSvd}");
        for (int j = 0; j < o.SingularValues.Length; j++)
            Assert.InRange(o.DirectionMonteCarlo[j] / o.DirectionTheory[j], 0.85, 1.15);
        // Unbiased: M·(β̄ − β)ᵀΣ⁻¹(β̄ − β) ~ χ²₆, below 22.5 with probability 0.999.
        Assert.InRange(o.MeanBias, 0, 22.5);
        // Theory is sharp: the variance along the smallest singular direction dominates.
        Assert.True(o.DirectionTheory[^1] > 10 * o.DirectionTheory[0]);
    }

    [Fact]
    public void RidgeRiskIsBiasSquaredPlusVarianceAndLeaveOneOutChoosesNearTheBest()
    {
        var g = Run.Value.Ridge;
        for (int i = 0; i < g.Lambdas.Length; i++)
            Assert.InRange(g.MonteCarloRisk[i] / (g.Bias2[i] + g.Variance[i]), 0.9, 1.1);
        Assert.True(g.Bias2.Zip(g.Bias2.Skip(1)).All(p => p.Second >= p.First), "bias² rises with λ");
        Assert.True(g.Variance.Zip(g.Variance.Skip(1)).All(p => p.Second <= p.First), "variance falls with λ");
        Assert.True(g.RiskAtChosen < g.OlsRisk, $"risk at the leave-one-out λ {g.RiskAtChosen} vs least squares {g.OlsRisk}");
        int best = Array.IndexOf(g.Lambdas, g.BestLambda);
        Assert.True(best > 0 && best < g.Lambdas.Length - 1, "the best λ is inside the grid");
    }

    [Fact]
    public void MapUnderAGaussianPriorIsRidgeAndUnderALaplacePriorIsTheLasso()
    {
        var r = Run.Value;
        Assert.All(r.Gaussian, m => Assert.True(m.MaxDifference < 1e-10, $"τ = {m.Scale}: {m.MaxDifference}"));
        Assert.All(r.Laplace, m => Assert.True(m.MaxDifference < 1e-6, $"b = {m.Scale}: {m.MaxDifference}"));
        // The Laplace prior gives exact zeros, more of them for a narrower prior (larger α); the Gaussian prior none.
        Assert.All(r.Gaussian, m => Assert.Equal(Small.Features, m.NonZero));
        Assert.True(r.Laplace[0].NonZero < r.Laplace[^1].NonZero && r.Laplace[0].NonZero < Small.LassoFeatures);
    }

    [Fact]
    public void MapUnderALaplacePriorIsTheLassoAtAlphaSigmaSquaredOverNb()
    {
        // The same objective at a second, independent scaling: a wrong α = σ²/(n·b) would not agree.
        var x = TestData.Random(30, 5, 11);
        var y = Matrix.Build(30, 1, (i, _) => 2 * x[i, 0] - x[i, 2] + 0.5 * TestData.Random(30, 1, 12)[i, 0]);
        double sigma2 = 0.25, b = 0.4;
        var map = StatisticsExperiment.LaplaceMap(x, y, sigma2, b);
        var lasso = new LassoRegression { Alpha = sigma2 / (30 * b), FitIntercept = false, Tolerance = 1e-15, MaxIterations = 100_000 }.Fit(x, y).Weights;
        for (int j = 0; j < 5; j++) Assert.True(Math.Abs(map[j] - lasso[j, 0]) < 1e-8, $"w[{j}]: MAP {map[j]} vs lasso {lasso[j, 0]}");
    }

    [Fact]
    public void LassoSparsityNeverFallsAsAlphaDecreases()
    {
        var l = Run.Value.Lasso;
        Assert.Equal(0, l.NonZero[0]);
        Assert.True(l.SparsityMonotone, string.Join(" ", l.NonZero));
        Assert.True(l.NonZero[^1] > Small.LassoNonZero, $"at 10⁻³·α_max the lasso is close to least squares: {l.NonZero[^1]} non-zeros");
        // The true coefficients enter first.
        int first = Array.FindIndex(l.NonZero, c => c > 0);
        for (int j = 0; j < l.Coefficients.Rows; j++)
            if (l.Coefficients[j, first] != 0) Assert.NotEqual(0, l.TrueCoefficients[j]);
    }

    [Fact]
    public void MaximumLikelihoodVarianceApproachesTheCramerRaoBound()
    {
        var m = Run.Value.Mle;
        // Monte Carlo error of a variance ratio from 1500 draws: about √(2/1500) ≈ 0.037.
        Assert.All(m, p => Assert.InRange(p.MeanRatio, 0.88, 1.12));
        var last = m[^1];
        Assert.InRange(last.UnbiasedVarianceRatio, 0.88, 1.12);
        Assert.InRange(last.SlopeRatio, 0.85, 1.15);
        Assert.InRange(last.InterceptRatio, 0.85, 1.15);
        Assert.InRange(last.StandardErrorRatio, 0.85, 1.15);
        Assert.Equal(0, last.Refused);
        // s²'s ratio is n/(n − 1): far from 1 at n = 5, within error at n = 400.
        Assert.InRange(m[0].UnbiasedVarianceRatio, 1.1, 1.4);
        // At n = 5 many samples are separable and have no finite MLE.
        Assert.True(m[0].Refused > 0);
    }

    [Fact]
    public void ABiasedVarianceEstimatorHasLowerMeanSquaredErrorThanTheUnbiasedOne()
    {
        foreach (var p in Run.Value.Mle.Take(2))
        {
            Assert.True(p.MseShrunk < p.MseMle && p.MseMle < p.MseUnbiased, $"n = {p.N}: {p.MseShrunk}, {p.MseMle}, {p.MseUnbiased}");
            Assert.True(p.MseShrunk < 1, $"n = {p.N}: the shrunk estimator is below the Cramér–Rao bound ({p.MseShrunk})");
            Assert.InRange(p.MseUnbiased / ((double)p.N / (p.N - 1)), 0.9, 1.1);
        }
    }

    [Fact]
    public void TheReportHasEveryPlotAndTable()
    {
        var report = new Report("statistics");
        StatisticsExperiment.AddTo(report, Run.Value, Small);
        foreach (var f in new[] { "ols", "ridge-shrinkage", "ridge-risk", "map-ridge", "lasso-path", "lasso-sparsity", "cramer-rao", "variance-mse" })
            Assert.Contains($"statistics-{f}.png", report.Files);
        foreach (var f in new[] { "ols", "ridge", "map", "lasso", "mle" })
            Assert.Contains($"statistics-{f}.csv", report.Files);
    }

    [Fact]
    public void TheCommandWritesTheReportAndRefusesTooFewDraws()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-statistics-" + Guid.NewGuid().ToString("N"));
        try
        {
            var o = new StringWriter(); var e = new StringWriter();
            int rc = TangentCli.Run(["experiment", "statistics", "--draws", "40", "--out", dir], o, e);
            Assert.True(rc == 0, e.ToString());
            Assert.Contains("least squares:", o.ToString());
            Assert.Contains("Cramér–Rao", File.ReadAllText(Path.Combine(dir, "README.md")));
            Assert.True(File.Exists(Path.Combine(dir, "statistics-mle.csv")));

            e = new StringWriter();
            rc = TangentCli.Run(["experiment", "statistics", "--draws", "5", "--out", dir + "-2"], o, e);
            Assert.Equal(2, rc);
            Assert.Contains("--draws", e.ToString());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
