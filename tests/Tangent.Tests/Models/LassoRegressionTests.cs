using FsCheck;
using FsCheck.Fluent;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

public sealed class LassoRegressionTests
{
    /// <summary>y = X·β + noise with β sparse (3 of d non-zero) and an offset of 2.</summary>
    private static (Matrix X, Matrix Y) Sparse(int n, int d, int seed, double noise = 0.3)
    {
        var x = TestData.Random(n, d, seed);
        var rng = new Random(seed + 100);
        var beta = new double[d];
        beta[0] = 2; beta[1 % d] = -1.5; beta[2 % d] = 0.7;
        var y = Matrix.Build(n, 1, (i, _) => 2 + Enumerable.Range(0, d).Sum(j => x[i, j] * beta[j]) + noise * TestData.Gaussian(rng));
        return (x, y);
    }

    [SkippableFact]
    public void CoefficientsAgreeWithScikitLearnLassoToOneInAMillion()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (x, y) = Sparse(60, 8, 1);
        var input = Python.Encode(("x", x), ("y", y));
        foreach (bool intercept in new[] { true, false })
            foreach (double alpha in new[] { 0.03, 0.3 })
            {
                var theirs = Python.Evaluate($"""
                    from sklearn.linear_model import Lasso
                    m = Lasso(alpha={alpha}, fit_intercept={(intercept ? "True" : "False")}, tol=1e-12, max_iter=100000).fit(M['x'], M['y'].ravel())
                    emit(np.append(m.coef_, m.intercept_))
                    """, input);
                foreach (bool covariance in new[] { false, true })
                {
                    var fit = new LassoRegression { Alpha = alpha, FitIntercept = intercept, Tolerance = 1e-12, MaxIterations = 100_000, CovarianceUpdates = covariance }.Fit(x, y);
                    Assert.True(fit.Converged);
                    var w = fit.Weights;
                    for (int j = 0; j < 8; j++)
                        Assert.True(Math.Abs(w[j, 0] - theirs[0, j]) < 1e-6, $"α = {alpha}, intercept {intercept}, covariance {covariance}: w[{j}] = {w[j, 0]} vs scikit-learn {theirs[0, j]}");
                    Assert.True(Math.Abs(fit.Intercept[0] - theirs[0, 8]) < 1e-6, $"intercept {fit.Intercept[0]} vs {theirs[0, 8]}");
                }
            }
    }

    [SkippableFact]
    public void PathAgreesWithScikitLearnLassoPath()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (x, y) = Sparse(40, 6, 2);
        var theirs = Python.Evaluate("""
            from sklearn.linear_model import lasso_path
            alphas, coefs, _ = lasso_path(M['x'], M['y'].ravel(), n_alphas=15, eps=1e-2, tol=1e-12, max_iter=100000)
            emit(np.vstack([alphas, coefs]))
            """, Python.Encode(("x", x), ("y", y)));
        var path = new LassoRegression { FitIntercept = false, Tolerance = 1e-12, MaxIterations = 100_000 }.Path(x, y, 15, 1e-2);
        var coefs = path.Coefficients();
        for (int i = 0; i < 15; i++)
        {
            Assert.True(Math.Abs(path.Alphas[i] - theirs[0, i]) < 1e-12 * theirs[0, 0], $"α_{i}: {path.Alphas[i]} vs {theirs[0, i]}");
            for (int j = 0; j < 6; j++)
                Assert.True(Math.Abs(coefs[j, i] - theirs[1 + j, i]) < 1e-6, $"α_{i} = {theirs[0, i]}: w[{j}] = {coefs[j, i]} vs scikit-learn {theirs[1 + j, i]}");
        }
    }

    [Fact]
    public void PropertyTheFitSatisfiesTheKarushKuhnTuckerConditions()
    {
        // At the minimum of (1/2n)‖y − Xw − b‖² + α‖w‖₁: x_jᵀr/n = α·sign(w_j) where w_j ≠ 0 and |x_jᵀr/n| ≤ α where w_j = 0.
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new Random(seed);
            int n = rng.Next(5, 40), d = rng.Next(1, 12);
            var (x, y) = Sparse(n, d, seed % 100_000);
            bool intercept = rng.Next(2) == 0, covariance = rng.Next(2) == 0;
            var cfg = new LassoRegression { FitIntercept = intercept, Tolerance = 1e-14, MaxIterations = 200_000, CovarianceUpdates = covariance };
            double alpha = cfg.AlphaMax(x, y) * Math.Pow(10, -2.5 * rng.NextDouble());
            var fit = (cfg with { Alpha = alpha }).Fit(x, y);
            var r = fit.Predict(x);
            for (int i = 0; i < n; i++) r[i, 0] = y[i, 0] - r[i, 0];
            var w = fit.Weights;
            double slack = 1e-6 * alpha;
            for (int j = 0; j < d; j++)
            {
                double xc = 0, mean = intercept ? Enumerable.Range(0, n).Average(i => x[i, j]) : 0;
                for (int i = 0; i < n; i++) xc += (x[i, j] - mean) * r[i, 0];
                xc /= n;
                bool ok = w[j, 0] == 0 ? Math.Abs(xc) <= alpha + slack : Math.Abs(xc - alpha * Math.Sign(w[j, 0])) <= slack;
                if (!ok) return false;
            }
            return fit.Converged && fit.DualityGap <= 1e-10 * Math.Max(1, y.Data.Sum(v => v * v));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void AlphaMaxIsTheSmallestAlphaWithAllWeightsZero()
    {
        var (x, y) = Sparse(30, 5, 3);
        var cfg = new LassoRegression { Tolerance = 1e-12 };
        double max = cfg.AlphaMax(x, y);
        Assert.Equal(0, (cfg with { Alpha = max }).Fit(x, y).NonZeroCount);
        Assert.Equal(1, (cfg with { Alpha = 0.999 * max }).Fit(x, y).NonZeroCount);
        var path = cfg.Path(x, y, 30, 1e-3);
        Assert.Equal(max, path.Alphas[0], 12);
        Assert.Equal(0, path.NonZeroCounts[0]);
        Assert.Equal(5, path.NonZeroCounts[^1]);
    }

    [Fact]
    public void AlphaZeroIsOrdinaryLeastSquares()
    {
        var (x, y) = Sparse(50, 4, 4);
        var lasso = new LassoRegression { Alpha = 0, Tolerance = 1e-15, MaxIterations = 100_000 }.Fit(x, y);
        var ols = new LinearRegression { FitIntercept = true }.Fit(x, y);
        Assert.True(lasso.Weights.MaxAbsDifference(ols.Weights) < 1e-9);
        Assert.Equal(ols.Intercept[0], lasso.Intercept[0], 9);
    }

    [Fact]
    public void WarmStartedPathMatchesColdFitsAndEachColumnIsItsOwnLasso()
    {
        var (x, y1) = Sparse(35, 6, 5);
        var (_, y2) = Sparse(35, 6, 6);
        var y = Matrix.Build(35, 2, (i, c) => c == 0 ? y1[i, 0] : -3 * y2[i, 0]);
        var cfg = new LassoRegression { Tolerance = 1e-13, MaxIterations = 100_000 };
        var path = cfg.Path(x, y, [0.01, 0.5, 0.1]);
        Assert.Equal([0.5, 0.1, 0.01], path.Alphas);
        for (int i = 0; i < 3; i++)
        {
            var cold = (cfg with { Alpha = path.Alphas[i] }).Fit(x, y);
            Assert.True(path.Models[i].Weights.MaxAbsDifference(cold.Weights) < 1e-8);
            var single = (cfg with { Alpha = path.Alphas[i] }).Fit(x, Matrix.Build(35, 1, (r, _) => y[r, 1]));
            for (int j = 0; j < 6; j++) Assert.Equal(single.Weights[j, 0], cold.Weights[j, 1], 8);
            Assert.Equal(single.Intercept[0], cold.Intercept[1], 8);
        }
    }

    [Fact]
    public void TooFewIterationsReportNotConvergedWithTheGap()
    {
        var (x, y) = Sparse(40, 10, 7);
        var fit = new LassoRegression { Alpha = 0.01, Tolerance = 1e-14, MaxIterations = 1 }.Fit(x, y);
        Assert.False(fit.Converged);
        Assert.True(fit.DualityGap > 0);
        Assert.Equal(1, fit.Iterations);
    }

    [Fact]
    public void SoftThresholdShrinksTowardZero()
    {
        Assert.Equal(1.5, LassoRegression.SoftThreshold(2, 0.5));
        Assert.Equal(-1.5, LassoRegression.SoftThreshold(-2, 0.5));
        Assert.Equal(0, LassoRegression.SoftThreshold(0.3, 0.5));
    }

    [Fact]
    public void BadSettingsAreRefusedWithTheFix()
    {
        var (x, y) = Sparse(10, 3, 8);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LassoRegression { Alpha = -1 }.Fit(x, y));
        Assert.Contains("α", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LassoRegression { MaxIterations = 0 }.Fit(x, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LassoRegression().Path(x, y, 10, 2));
        Assert.Throws<ArgumentException>(() => new LassoRegression().Path(x, y, Array.Empty<double>()));
        x[2, 1] = double.NaN;
        var nan = Assert.Throws<ArgumentException>(() => new LassoRegression().Fit(x, y));
        Assert.Contains("row 3, column 2", nan.Message);
    }
}
