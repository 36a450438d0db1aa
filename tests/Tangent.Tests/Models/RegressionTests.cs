using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

public sealed class RegressionTests
{
    [Fact]
    public void MinimumNormKernelRegressionInterpolatesTheTrainingData()
    {
        var x = TestData.Random(30, 3, 1);
        var y = TestData.Random(30, 2, 2);
        var model = new KernelRegression(ClassicalKernel.Laplace(0.5)).Fit(x, y);
        Assert.True(model.Predict(x).MaxAbsDifference(y) < 1e-8);
    }

    [Fact]
    public void KernelRidgeMatchesTheDirectFormula()
    {
        var x = TestData.Random(25, 4, 3);
        var y = TestData.Random(25, 1, 4);
        var xs = TestData.Random(7, 4, 5);
        var kernel = ClassicalKernel.Gaussian(0.2);
        var model = new KernelRegression(kernel) { Ridge = Ridge.Absolute(0.1) }.Fit(x, y);
        var k = TestData.ToMathNet(kernel.Compute(x)) + 0.1 * MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseIdentity(25);
        var expected = TestData.ToMathNet(kernel.Compute(xs, x)) * k.Inverse() * TestData.ToMathNet(y);
        Assert.True(model.Predict(xs).MaxAbsDifference(TestData.FromMathNet(expected)) < 1e-10);

        // The eigen solver gives the same answer as Cholesky.
        var viaEigen = new KernelRegression(kernel) { Ridge = Ridge.Absolute(0.1), Solver = Solver.PseudoInverse }.Fit(x, y);
        Assert.True(viaEigen.Predict(xs).MaxAbsDifference(model.Predict(xs)) < 1e-10);
    }

    [Fact]
    public void RelativeRidgeScalesWithTheMeanDiagonal()
    {
        var x = TestData.Random(10, 3, 6);
        var y = TestData.Random(10, 1, 7);
        var kernel = ClassicalKernel.Linear();
        var k = kernel.Compute(x);
        double mean = k.Diagonal().Average();
        var rel = new KernelRegression(kernel) { Ridge = Ridge.Relative(0.5) };
        Assert.Equal(0.5 * mean, rel.EffectiveRidge(k), 1e-12);
        var abs = new KernelRegression(kernel) { Ridge = Ridge.Absolute(0.5 * mean) };
        Assert.True(rel.Fit(x, y).Predict(x).MaxAbsDifference(abs.Fit(x, y).Predict(x)) < 1e-10);
    }

    [Fact]
    public void SingularKernelUsesThePseudoinverseAndCholeskyExplainsTheFix()
    {
        // Linear kernel of 12 points in 3-D has rank 3.
        var x = TestData.Random(12, 3, 8);
        var y = TestData.Random(12, 1, 9);
        var kernel = ClassicalKernel.Linear();
        var model = new KernelRegression(kernel).Fit(x, y);
        var kp = TestData.ToMathNet(kernel.Compute(x)).PseudoInverse();
        var alpha = TestData.FromMathNet(kp * TestData.ToMathNet(y));
        Assert.True(model.Coefficients.MaxAbsDifference(alpha) < 1e-8);
        var e = Assert.Throws<NotPositiveDefiniteException>(() => new KernelRegression(kernel) { Solver = Solver.Cholesky }.Fit(x, y));
        Assert.Contains("ridge", e.Message);
    }

    [Fact]
    public void AutoMeansCholeskyWhenPositiveDefiniteElseThePseudoinverseAsInTheDynamics()
    {
        // Positive definite: Auto is the Cholesky solve (same α as the explicit Cholesky solver).
        var x = TestData.Random(15, 3, 21);
        var y = TestData.Random(15, 2, 22);
        var kernel = ClassicalKernel.Gaussian(0.5);
        var auto = new KernelRegression(kernel).Fit(x, y).Coefficients;
        var chol = new KernelRegression(kernel) { Solver = Solver.Cholesky }.Fit(x, y).Coefficients;
        Assert.True(auto.MaxAbsDifference(chol) < 1e-12 * (1 + chol.FrobeniusNorm()));

        // Duplicated inputs without ridge: numerically singular, Auto gives the minimum-norm α = K⁺Y
        // (finite, equal on the duplicates), exactly as Gaussian-process inference's Auto does.
        var dup = new Matrix(16, 3);
        for (int i = 0; i < 15; i++) for (int j = 0; j < 3; j++) dup[i, j] = x[i, j];
        for (int j = 0; j < 3; j++) dup[15, j] = x[0, j];
        var ydup = new Matrix(16, 1);
        for (int i = 0; i < 15; i++) ydup[i, 0] = y[i, 0];
        ydup[15, 0] = y[0, 0];
        var kd = kernel.Compute(dup);
        var expected = TestData.FromMathNet(TestData.ToMathNet(kd).PseudoInverse() * TestData.ToMathNet(ydup));
        var alpha = new KernelRegression(kernel).Fit(dup, ydup).Coefficients;
        Assert.True(alpha.MaxAbsDifference(expected) < 1e-8 * (1 + expected.FrobeniusNorm()), $"max |Δα| = {alpha.MaxAbsDifference(expected)}");
        Assert.Equal(alpha[0, 0], alpha[15, 0], 10);
        var gp = new GaussianProcessInference(kd, ydup);
        Assert.True(gp.UsesPseudoInverse);
        Assert.True(gp.DualCoefficients.MaxAbsDifference(alpha) < 1e-8 * (1 + expected.FrobeniusNorm()));
    }

    [Fact]
    public void MismatchedShapesAndNaNGetClearErrors()
    {
        var kr = new KernelRegression(ClassicalKernel.Linear());
        var e = Assert.Throws<ArgumentException>(() => kr.Fit(new Matrix(5, 2), new Matrix(4, 1)));
        Assert.Contains("5 rows but the targets have 4", e.Message);
        var x = new Matrix(3, 2);
        x[1, 1] = double.NaN;
        var nan = Assert.Throws<ArgumentException>(() => kr.Fit(x, new Matrix(3, 1)));
        Assert.Contains("row 2, column 2", nan.Message);
        var model = kr.Fit(TestData.Random(4, 2, 1), TestData.Random(4, 1, 2));
        Assert.Throws<ArgumentException>(() => model.Predict(new Matrix(1, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelRegression(ClassicalKernel.Linear()) { Ridge = new Ridge(-1, false) }.Fit(TestData.Random(4, 2, 1), TestData.Random(4, 1, 2)));
    }

    [Theory]
    [InlineData(40, 5)]   // under-parameterized: OLS
    [InlineData(8, 20)]   // over-parameterized: minimum norm
    [InlineData(10, 10)]
    public void MinimumNormLinearRegressionEqualsThePseudoinverse(int n, int d)
    {
        var x = TestData.Random(n, d, 10);
        var y = TestData.Random(n, 2, 11);
        var w = new LinearRegression().Fit(x, y).Weights;
        var expected = TestData.FromMathNet(TestData.ToMathNet(x).PseudoInverse() * TestData.ToMathNet(y));
        Assert.True(TestData.RelativeError(w, expected) < 1e-8);
    }

    [Fact]
    public void RidgeLinearRegressionMatchesTheNormalEquations()
    {
        var x = TestData.Random(15, 30, 12);
        var y = TestData.Random(15, 1, 13);
        var w = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Absolute(0.3) }.Fit(x, y).Weights;
        var X = TestData.ToMathNet(x);
        var expected = (X.Transpose() * X + 0.3 * MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseIdentity(30)).Inverse() * X.Transpose() * TestData.ToMathNet(y);
        Assert.True(TestData.RelativeError(w, TestData.FromMathNet(expected)) < 1e-9);
    }

    [Theory]
    [InlineData(15, 30)]  // n < d: solved through XXᵀ
    [InlineData(30, 6)]   // n ≥ d: solved through XᵀX
    public void RelativeLinearRidgeIsAFactorOfTheMeanDiagonalOfXtX(int n, int d)
    {
        var x = TestData.Random(n, d, 16);
        var y = TestData.Random(n, 2, 17);
        double meanDiagonal = 0;
        foreach (double v in x.Data) meanDiagonal += v * v;
        meanDiagonal /= d;
        var rel = new LinearRegression { Method = LinearMethod.Ridge, Ridge = Ridge.Relative(0.2) }.Fit(x, y).Weights;
        var X = TestData.ToMathNet(x);
        var expected = (X.Transpose() * X + 0.2 * meanDiagonal * MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseIdentity(d)).Inverse() * X.Transpose() * TestData.ToMathNet(y);
        Assert.True(TestData.RelativeError(rel, TestData.FromMathNet(expected)) < 1e-9);
    }

    [Fact]
    public void GradientDescentFromZeroConvergesToTheMinimumNormSolution()
    {
        var x = TestData.Random(10, 25, 14);
        var y = TestData.Random(10, 1, 15);
        var model = new LinearRegression { Method = LinearMethod.GradientDescent, MaxSteps = 20_000, Tolerance = 1e-12 }.Fit(x, y);
        Assert.NotNull(model.Trace);
        Assert.True(model.Trace!.Converged);
        var minNorm = new LinearRegression().Fit(x, y).Weights;
        Assert.True(TestData.RelativeError(model.Weights, minNorm) < 1e-8);
        // The loss never increases below the bound.
        var l = model.Trace.Losses;
        for (int i = 1; i < l.Length; i++) Assert.True(l[i] <= l[i - 1] * (1 + 1e-12));
    }

    [Fact]
    public void GradientDescentRejectsALearningRateAboveTheBoundAndDivergesWhenForced()
    {
        var x = TestData.Random(20, 4, 16);
        var y = TestData.Random(20, 1, 17);
        double bound = LinearRegression.StableLearningRateBound(x);
        var s = TestData.ToMathNet(x).Svd().S[0];
        Assert.Equal(2 / (s * s), bound, 1e-10 * bound);
        var e = Assert.Throws<Tangent.Dynamics.UnstableLearningRateException>(() => new LinearRegression { Method = LinearMethod.GradientDescent, LearningRate = 1.01 * bound }.Fit(x, y));
        Assert.Contains("stable bound", e.Message);
        var forced = new LinearRegression { Method = LinearMethod.GradientDescent, LearningRate = 1.05 * bound, AllowUnstableLearningRate = true, MaxSteps = 300 }.Fit(x, y);
        Assert.False(forced.Trace!.Converged);
        Assert.True(forced.Trace.Losses[^1] > 10 * forced.Trace.Losses[0]);
        var below = new LinearRegression { Method = LinearMethod.GradientDescent, LearningRate = 0.95 * bound, MaxSteps = 50_000 }.Fit(x, y);
        Assert.True(below.Trace!.Converged);
    }

    [Fact]
    public void InterceptIsFittedWhenAsked()
    {
        var x = TestData.Random(50, 3, 18);
        var y = Matrix.Build(50, 1, (i, _) => 5.0 + 2 * x[i, 0] - x[i, 2]);
        var m = new LinearRegression { FitIntercept = true }.Fit(x, y);
        Assert.Equal(5.0, m.Intercept[0], 1e-10);
        Assert.Equal(2.0, m.Weights[0, 0], 1e-10);
        Assert.Equal(-1.0, m.Weights[2, 0], 1e-10);
    }
}
