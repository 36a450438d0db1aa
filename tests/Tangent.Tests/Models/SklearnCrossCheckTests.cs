using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary>Agreement with scikit-learn to 1e-8 (skipped when python3-sklearn is absent).</summary>
public sealed class SklearnCrossCheckTests
{
    [SkippableFact]
    public void KernelRidgeAgreesWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var x = TestData.Random(60, 5, 1);
        var y = TestData.Random(60, 2, 2);
        var xs = TestData.Random(20, 5, 3);
        var input = Python.Encode(("x", x), ("y", y), ("xs", xs));
        foreach (var (kernel, skl) in new (ClassicalKernel, string)[]
                 {
                     (ClassicalKernel.Gaussian(0.15), "kernel='rbf', gamma=0.15"),
                     (ClassicalKernel.Linear(), "kernel='linear'"),
                     (ClassicalKernel.Polynomial(0.3, 1.5, 3), "kernel='poly', gamma=0.3, coef0=1.5, degree=3"),
                 })
        {
            var ours = new KernelRegression(kernel) { Ridge = Ridge.Absolute(0.25) }.Fit(x, y).Predict(xs);
            var theirs = Python.Evaluate($"""
                from sklearn.kernel_ridge import KernelRidge
                emit(KernelRidge(alpha=0.25, {skl}).fit(M['x'], M['y']).predict(M['xs']))
                """, input);
            Assert.True(ours.MaxAbsDifference(theirs) < 1e-8 * Math.Max(1, theirs.Data.Max(Math.Abs)), kernel.Describe());
        }
    }

    [SkippableFact]
    public void LinearAndRidgeRegressionAgreeWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var x = TestData.Random(80, 6, 4);
        var y = TestData.Random(80, 1, 5);
        var xs = TestData.Random(10, 6, 6);
        var input = Python.Encode(("x", x), ("y", y), ("xs", xs));
        var ols = new LinearRegression { FitIntercept = true }.Fit(x, y).Predict(xs);
        var olsRef = Python.Evaluate("""
            from sklearn.linear_model import LinearRegression
            emit(LinearRegression().fit(M['x'], M['y']).predict(M['xs']))
            """, input);
        Assert.True(ols.MaxAbsDifference(olsRef) < 1e-8);
        var ridge = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(2.0) }.Fit(x, y).Predict(xs);
        var ridgeRef = Python.Evaluate("""
            from sklearn.linear_model import Ridge
            emit(Ridge(alpha=2.0, fit_intercept=False).fit(M['x'], M['y']).predict(M['xs']))
            """, input);
        Assert.True(ridge.MaxAbsDifference(ridgeRef) < 1e-8);
        // Over-parameterized: numpy's lstsq returns the minimum-norm solution.
        var wide = TestData.Random(10, 30, 7);
        var yw = TestData.Random(10, 1, 8);
        var minNorm = new LinearRegression().Fit(wide, yw).Weights;
        var lstsq = Python.Evaluate("emit(np.linalg.lstsq(M['x'], M['y'], rcond=None)[0])", Python.Encode(("x", wide), ("y", yw)));
        Assert.True(minNorm.MaxAbsDifference(lstsq) < 1e-8);
    }

    [SkippableFact]
    public void MetricsAgreeWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var truth = TestData.Random(50, 2, 21);
        var prediction = TestData.Random(50, 2, 22, scale: 0.5);
        var rng = new Random(23);
        int[] labels = Enumerable.Range(0, 50).Select(_ => rng.Next(3)).ToArray();
        int[] predicted = Enumerable.Range(0, 50).Select(i => rng.NextDouble() < 0.6 ? labels[i] : rng.Next(3)).ToArray();
        var probabilities = Matrix.Build(50, 3, (_, _) => 0.05 + rng.NextDouble());
        for (int i = 0; i < 50; i++)
        {
            double s = probabilities.Row(i).ToArray().Sum();
            for (int j = 0; j < 3; j++) probabilities[i, j] /= s;
        }
        Matrix AsColumn(int[] v) => Matrix.Build(v.Length, 1, (i, _) => v[i]);
        var input = Python.Encode(("t", truth), ("p", prediction), ("l", AsColumn(labels)), ("q", AsColumn(predicted)), ("pr", probabilities));
        var scores = Python.Evaluate("""
            from sklearn import metrics as m
            l, q = M['l'].ravel().astype(int), M['q'].ravel().astype(int)
            emit([m.mean_squared_error(M['t'], M['p']), m.r2_score(M['t'], M['p']), m.mean_absolute_error(M['t'], M['p']),
                  m.accuracy_score(l, q), m.log_loss(l, M['pr'], labels=[0, 1, 2])])
            """, input);
        var r = Metrics.Regression(prediction, truth);
        Assert.Equal(scores[0, 0], r.MeanSquaredError, 12);
        Assert.Equal(scores[0, 1], r.RSquared, 12);
        Assert.Equal(scores[0, 2], r.MeanAbsoluteError, 12);
        Assert.Equal(scores[0, 3], Metrics.Accuracy(predicted, labels), 12);
        Assert.Equal(scores[0, 4], Metrics.LogLoss(probabilities, labels), 12);
        var confusion = Python.Evaluate("""
            from sklearn.metrics import confusion_matrix
            emit(confusion_matrix(M['l'].ravel().astype(int), M['q'].ravel().astype(int), labels=[0, 1, 2]))
            """, input);
        var ours = Metrics.ConfusionMatrix(labels, predicted, 3);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(confusion[i, j], ours[i][j]);
    }
}
