using Tangent.Dynamics;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

public sealed class RidgeSelectionTests
{
    private static readonly double[] Alphas = [0.01, 0.1, 0.5, 2, 10, 50];

    private static (Matrix X, Matrix Y) Data(int n, int d, int k, int seed)
    {
        var x = TestData.Random(n, d, seed);
        var noise = TestData.Random(n, k, seed + 1, 0.5);
        var y = Matrix.Build(n, k, (i, c) => 1 + (c + 1) * x[i, 0] - x[i, 1 % d] + noise[i, c]);
        return (x, y);
    }

    [Theory]
    [InlineData(30, 4, true)]
    [InlineData(30, 4, false)]
    [InlineData(12, 20, true)]
    [InlineData(12, 20, false)]
    public void LeaveOneOutResidualsEqualRefitsWithoutEachRow(int n, int d, bool intercept)
    {
        var (x, y) = Data(n, d, 2, 1);
        foreach (double alpha in new[] { 0.05, 3.0 })
        {
            var loo = RidgeSelection.LeaveOneOutResiduals(x, y, alpha, intercept);
            for (int i = 0; i < n; i++)
            {
                var rest = Enumerable.Range(0, n).Where(r => r != i).ToArray();
                var model = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(alpha), FitIntercept = intercept }.Fit(x.SelectRows(rest), y.SelectRows(rest));
                var p = model.Predict(x.SelectRows([i]));
                for (int c = 0; c < 2; c++)
                    Assert.True(Math.Abs(y[i, c] - p[0, c] - loo[i, c]) < 1e-8, $"row {i}, column {c}, λ = {alpha}: refit {y[i, c] - p[0, c]} vs closed form {loo[i, c]}");
            }
        }
    }

    [SkippableFact]
    public void LeaveOneOutAgreesWithScikitLearnRidgeCv()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        foreach (bool intercept in new[] { true, false })
        {
            var (x, y) = Data(40, 5, 1, 2);
            var ours = RidgeSelection.LeaveOneOut(x, y, Alphas, intercept);
            var theirs = Python.Evaluate($"""
                from sklearn.linear_model import RidgeCV
                alphas = {"[" + string.Join(", ", Alphas.Select(a => a.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]"}
                try:
                    m = RidgeCV(alphas=alphas, fit_intercept={(intercept ? "True" : "False")}, gcv_mode='svd', store_cv_values=True).fit(M['x'], M['y'].ravel())
                    cv = m.cv_values_
                except TypeError:
                    m = RidgeCV(alphas=alphas, fit_intercept={(intercept ? "True" : "False")}, gcv_mode='svd', store_cv_results=True).fit(M['x'], M['y'].ravel())
                    cv = m.cv_results_
                emit(np.concatenate([[m.alpha_], cv.reshape(len(M['y']), -1).mean(axis=0), m.coef_.ravel(), np.atleast_1d(m.intercept_)]))
                """, Python.Encode(("x", x), ("y", y)));
            Assert.Equal(theirs[0, 0], ours.BestAlpha);
            for (int a = 0; a < Alphas.Length; a++)
                Assert.True(Math.Abs(ours.Errors[a] - theirs[0, 1 + a]) < 1e-9 * theirs[0, 1 + a], $"λ = {Alphas[a]}: LOO MSE {ours.Errors[a]} vs scikit-learn {theirs[0, 1 + a]}");
            var w = ours.Model.Weights;
            for (int j = 0; j < 5; j++) Assert.True(Math.Abs(w[j, 0] - theirs[0, 1 + Alphas.Length + j]) < 1e-8);
            Assert.True(Math.Abs(ours.Model.Intercept[0] - theirs[0, 6 + Alphas.Length]) < 1e-8);
        }
    }

    [Fact]
    public void KFoldErrorsEqualRefitsOnItsFolds()
    {
        var (x, y) = Data(23, 6, 2, 3);
        var result = RidgeSelection.KFold(x, y, Alphas, folds: 4, seed: 9, fitIntercept: true);
        var folds = RidgeSelection.Folds(23, 4, 9);
        Assert.Equal([6, 6, 6, 5], folds.Select(f => f.Length));
        Assert.Equal(Enumerable.Range(0, 23), folds.SelectMany(f => f).Order());
        for (int a = 0; a < Alphas.Length; a++)
        {
            double expected = 0;
            foreach (var held in folds)
            {
                var train = Enumerable.Range(0, 23).Except(held).ToArray();
                var model = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(Alphas[a]), FitIntercept = true }.Fit(x.SelectRows(train), y.SelectRows(train));
                expected += Metrics.MeanSquaredError(model.Predict(x.SelectRows(held)), y.SelectRows(held)) / folds.Count;
            }
            Assert.True(Math.Abs(result.Errors[a] - expected) < 1e-10 * expected, $"λ = {Alphas[a]}: {result.Errors[a]} vs {expected}");
        }
        Assert.Equal(result.Errors.Min(), result.Errors[result.BestIndex]);
        Assert.Equal("k-fold (4)", result.Method);
    }

    [Fact]
    public void TheChosenLambdaGrowsWithTheNoise()
    {
        // Pure noise targets: the best ridge is the largest; a clean linear signal: a small one.
        var x = TestData.Random(50, 8, 4);
        var clean = Matrix.Build(50, 1, (i, _) => x[i, 0] - 2 * x[i, 3]);
        var noise = TestData.Random(50, 1, 5);
        Assert.Equal(Alphas[0], RidgeSelection.LeaveOneOut(x, clean, Alphas).BestAlpha);
        Assert.Equal(Alphas[^1], RidgeSelection.LeaveOneOut(x, noise, Alphas).BestAlpha);
    }

    [Fact]
    public void BadLambdasAndFoldCountsAreRefused()
    {
        var (x, y) = Data(10, 3, 1, 6);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RidgeSelection.LeaveOneOut(x, y, [1, 0]));
        Assert.Contains("number 2", e.Message);
        Assert.Throws<ArgumentException>(() => RidgeSelection.LeaveOneOut(x, y, []));
        var f = Assert.Throws<ArgumentOutOfRangeException>(() => RidgeSelection.KFold(x, y, [1], folds: 11));
        Assert.Contains("2 ≤ K ≤ n = 10", f.Message);
    }
}
