using FsCheck;
using FsCheck.Fluent;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

public sealed class LogisticRegressionTests
{
    /// <summary>Labels 0/1 drawn from σ(x·β + b) with β = (1.5, −1, 0.5, ...), b = −0.3: overlapping classes.</summary>
    private static (Matrix X, Matrix Y) Data(int n, int d, int seed)
    {
        var x = TestData.Random(n, d, seed);
        var rng = new Random(seed + 7);
        var y = Matrix.Build(n, 1, (i, _) =>
        {
            double eta = -0.3;
            for (int j = 0; j < d; j++) eta += x[i, j] * (j == 0 ? 1.5 : j == 1 ? -1 : 0.5);
            return rng.NextDouble() < 1 / (1 + Math.Exp(-eta)) ? 1 : 0;
        });
        return (x, y);
    }

    [SkippableFact]
    public void CoefficientsAndProbabilitiesAgreeWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (x, y) = Data(120, 3, 1);
        var xs = TestData.Random(10, 3, 2);
        var input = Python.Encode(("x", x), ("y", y), ("xs", xs));
        foreach (var (c, skl) in new (double?, string)[] { (null, "penalty=None"), (0.5, "penalty='l2', C=0.5"), (20.0, "penalty='l2', C=20.0") })
        {
            var theirs = Python.Evaluate($"""
                from sklearn.linear_model import LogisticRegression
                m = LogisticRegression({skl}, tol=1e-12, max_iter=10000, solver='newton-cholesky').fit(M['x'], M['y'].ravel())
                emit(np.concatenate([m.coef_.ravel(), m.intercept_, m.predict_proba(M['xs'])[:, 1]]))
                """, input);
            var fit = new LogisticRegression { C = c }.Fit(x, y);
            var w = fit.Coefficients;
            for (int j = 0; j < 3; j++)
                Assert.True(Math.Abs(w[j] - theirs[0, j]) < 1e-6, $"{skl}: w[{j}] = {w[j]} vs scikit-learn {theirs[0, j]}");
            Assert.True(Math.Abs(fit.Intercept - theirs[0, 3]) < 1e-6, $"{skl}: intercept {fit.Intercept} vs {theirs[0, 3]}");
            var p = fit.PredictProbability(xs);
            for (int i = 0; i < 10; i++)
            {
                Assert.True(Math.Abs(p[i, 1] - theirs[0, 4 + i]) < 1e-7, $"{skl}: P(1 | x_{i}) = {p[i, 1]} vs {theirs[0, 4 + i]}");
                Assert.Equal(1.0, p[i, 0] + p[i, 1], 12);
            }
        }
    }

    [SkippableFact]
    public void StandardErrorsAreTheInverseFisherInformationComputedByNumpy()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (x, y) = Data(200, 3, 3);
        var fit = new LogisticRegression { C = null }.Fit(x, y);
        var beta = Matrix.Column([.. fit.Coefficients, fit.Intercept]);
        // numpy: the design [X, 1], π = σ(X̃β), I = X̃ᵀ diag(π(1 − π)) X̃, SE = √diag(I⁻¹).
        var theirs = Python.Evaluate("""
            Xt = np.hstack([M['x'], np.ones((M['x'].shape[0], 1))])
            p = 1 / (1 + np.exp(-Xt @ M['b'].ravel()))
            info = Xt.T @ (Xt * (p * (1 - p))[:, None])
            emit(np.concatenate([np.sqrt(np.diag(np.linalg.inv(info))), info.ravel()]))
            """, Python.Encode(("x", x), ("b", beta)));
        var se = fit.StandardErrors;
        for (int j = 0; j < 4; j++)
            Assert.True(Math.Abs(se[j] - theirs[0, j]) < 1e-9 * theirs[0, j], $"SE[{j}] = {se[j]} vs numpy {theirs[0, j]}");
        var info = fit.FisherInformation;
        for (int i = 0; i < 16; i++)
            Assert.True(Math.Abs(info.Data[i] - theirs[0, 4 + i]) < 1e-9 * Math.Abs(theirs[0, 4 + i]) + 1e-12);
    }

    [Fact]
    public void FisherInformationIsTheHessianOfTheNegativeLogLikelihood()
    {
        var (x, y) = Data(80, 2, 4);
        var fit = new LogisticRegression { C = null }.Fit(x, y);
        double[] beta = [.. fit.Coefficients, fit.Intercept];
        double Nll(double[] b)
        {
            double s = 0;
            for (int i = 0; i < x.Rows; i++)
            {
                double eta = b[2] + x[i, 0] * b[0] + x[i, 1] * b[1];
                s += Math.Log(1 + Math.Exp(eta)) - y[i, 0] * eta;
            }
            return s;
        }
        var info = fit.FisherInformation;
        double h = 1e-4;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
            {
                double F(int sa, int sb)
                {
                    var t = (double[])beta.Clone();
                    t[a] += sa * h;
                    t[b] += sb * h;
                    return Nll(t);
                }
                double fd = (F(1, 1) - F(1, -1) - F(-1, 1) + F(-1, -1)) / (4 * h * h);
                Assert.True(Math.Abs(fd - info[a, b]) < 1e-4 * Math.Max(1, Math.Abs(info[a, b])), $"I[{a},{b}] = {info[a, b]} vs finite difference {fd}");
            }
    }

    [Fact]
    public void PropertyTheGradientOfThePenalisedObjectiveVanishesAtTheFit()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new Random(seed);
            int n = rng.Next(20, 80), d = rng.Next(1, 5);
            var (x, y) = Data(n, d, seed % 100_000);
            if (y.Data.Distinct().Count() < 2) return true;
            double c = Math.Pow(10, rng.NextDouble() * 4 - 2);
            bool intercept = rng.Next(2) == 0;
            var fit = new LogisticRegression { C = c, FitIntercept = intercept }.Fit(x, y);
            var w = fit.Coefficients;
            // ∇(C·Σℓ + ½‖w‖²) = C·Xᵀ(π − y) + w, and Σ(π − y) = 0 for the intercept.
            var p = fit.PredictProbability(x);
            double interceptGradient = 0;
            for (int i = 0; i < n; i++) interceptGradient += p[i, 1] - y[i, 0];
            if (intercept && Math.Abs(interceptGradient) > 1e-8) throw new InvalidOperationException($"seed {seed}: intercept gradient {interceptGradient}");
            for (int j = 0; j < d; j++)
            {
                double g = w[j];
                for (int i = 0; i < n; i++) g += c * x[i, j] * (p[i, 1] - y[i, 0]);
                if (Math.Abs(g) > 1e-8 * Math.Max(1, c * n)) throw new InvalidOperationException($"seed {seed}: n = {n}, C = {c}, gradient {g} at w[{j}]");
            }
            return fit.StandardErrors.All(s => s > 0 && double.IsFinite(s));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void SeparableClassesAreRefusedWithoutAPenaltyAndFitWithOne()
    {
        var x = Matrix.Column(-3, -2, -1.5, -1, 1, 1.2, 2, 4);
        var y = Matrix.Column(0, 0, 0, 0, 1, 1, 1, 1);
        var e = Assert.Throws<ArgumentException>(() => new LogisticRegression { C = null }.Fit(x, y));
        Assert.Contains("separable", e.Message);
        Assert.Contains("set C", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var fit = new LogisticRegression { C = 1 }.Fit(x, y);
        Assert.True(fit.Coefficients[0] is > 0 and < 10, $"w = {fit.Coefficients[0]}");
        Assert.Equal(y.Data, fit.Predict(x).Data);
    }

    [Fact]
    public void QuasiSeparableClassesAreRefusedWithoutAPenalty()
    {
        // x < 0 is always class 0, x > 0 always class 1, and at x = 0 both occur: the slope's MLE is +∞.
        var x = Matrix.Column(-3, -2, -1, 0, 0, 0, 0, 1, 2, 3);
        var y = Matrix.Column(0, 0, 0, 0, 1, 0, 1, 1, 1, 1);
        var e = Assert.Throws<ArgumentException>(() => new LogisticRegression { C = null }.Fit(x, y));
        Assert.Contains("separable", e.Message);
        Assert.Contains("set C", e.Message);
    }

    [Fact]
    public void LabelsOtherThanTwoClassesAreRefused()
    {
        var x = TestData.Random(6, 2, 5);
        var three = Assert.Throws<ArgumentException>(() => new LogisticRegression().Fit(x, Matrix.Column(0, 1, 2, 0, 1, 2)));
        Assert.Contains("3 classes", three.Message);
        Assert.Contains("binary", three.Message);
        Assert.Throws<ArgumentException>(() => new LogisticRegression().Fit(x, Matrix.Column(1, 1, 1, 1, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogisticRegression { C = 0 }.Fit(x, Matrix.Column(0, 1, 0, 1, 0, 1)));
    }

    [Fact]
    public void AnyTwoLabelValuesWorkAndTheLargerIsPositive()
    {
        var (x, y) = Data(60, 2, 6);
        var pm = Matrix.Build(60, 1, (i, _) => y[i, 0] == 1 ? 5 : -5);
        var a = new LogisticRegression().Fit(x, y);
        var b = new LogisticRegression().Fit(x, pm);
        Assert.Equal([-5.0, 5.0], b.Classes);
        for (int j = 0; j < 2; j++) Assert.Equal(a.Coefficients[j], b.Coefficients[j], 12);
        var pred = b.Predict(x);
        Assert.All(pred.Data, v => Assert.True(v is 5 or -5));
    }
}
