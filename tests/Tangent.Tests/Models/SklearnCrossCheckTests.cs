using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Models;

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
}
