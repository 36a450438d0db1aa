using Tangent.Dynamics;
using Tangent.Numerics;
using static Tangent.Tests.Dynamics.DynamicsFixtures;

namespace Tangent.Tests.Dynamics;

public sealed class GradientDescentMseTests
{
    [Fact]
    public void OneByOneKernelFollowsTheHandSolution()
    {
        // Θ = [[2]], y = 1, f₀ = 0, η = 0.5, N = 1: τ = 0.5·t and f = 1 − e^{−2τ} = 1 − e^{−t}.
        var gd = new GradientDescentMse(Matrix.FromRows([2.0]), Matrix.FromRows([1.0]), new DynamicsOptions { LearningRate = 0.5 });
        foreach (double t in new[] { 0.0, 0.3, 1.0, 4.0 })
            Assert.Equal(1 - Math.Exp(-t), gd.Predict(t).TrainOutputs[0, 0], 14);
        // Test output with Θ*ₓ = [[1]]: f* = (1/2)(1 − e^{−t}).
        Assert.Equal(0.5 * (1 - Math.Exp(-1.0)), gd.Predict(1.0, ntkTestTrain: Matrix.FromRows([1.0])).TestOutputs![0, 0], 14);
        Assert.Equal(0.5, gd.Predict(double.PositiveInfinity, ntkTestTrain: Matrix.FromRows([1.0])).TestOutputs![0, 0], 14);
        Assert.Equal(1.0, gd.MaxLearningRate, 14); // 2N/λ = 2/2
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-2)]
    public void OutputsMatchTheMatrixExponential(double relativeRidge)
    {
        var k = Relu(n: 10, m: 4, k: 2, seed: 1);
        int n = 10, N = 20;
        var f0 = RandomMatrix(n, 2, 2);
        var f0Test = RandomMatrix(4, 2, 3);
        var options = new DynamicsOptions { LearningRate = 0.7, Ridge = Ridge.Relative(relativeRidge) };
        var gd = new GradientDescentMse(k.NtkTrainTrain, k.YTrain, options);
        double lambda = options.Ridge.ValueFor(k.NtkTrainTrain);
        var theta = D(k.NtkTrainTrain) + lambda * Id(n);
        foreach (double t in new[] { 0.0, 0.5, 3.0, 40.0 })
        {
            double tau = 0.7 * t / N;
            var e = Expm(-tau * theta);
            var train = D(k.YTrain) + e * (D(f0) - D(k.YTrain));
            var test = D(f0Test) + D(k.NtkTestTrain) * theta.Inverse() * (Id(n) - e) * (D(k.YTrain) - D(f0));
            var s = gd.Predict(t, f0, k.NtkTestTrain, f0Test);
            Near(T(train), s.TrainOutputs, 1e-9, $"train t={t}");
            Near(T(test), s.TestOutputs!, 1e-8, $"test t={t}");
            Assert.Equal(tau, s.Tau, 15);
            Assert.Equal(GradientDescentMse.MseLoss(T(train), k.YTrain), s.TrainLoss, 9);
        }
    }

    [Fact]
    public void TimeZeroGivesTheInitialOutputsAndInfinityTheExactSolve()
    {
        var k = Relu(n: 12, m: 5, k: 3, seed: 4);
        var f0 = RandomMatrix(12, 3, 5);
        var f0Test = RandomMatrix(5, 3, 6);
        var gd = new GradientDescentMse(k.NtkTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.1 });
        var s = gd.Trajectory([0, double.PositiveInfinity, 1e7], f0, k.NtkTestTrain, f0Test);
        Near(f0, s[0].TrainOutputs, 1e-12, "train t=0");
        Near(f0Test, s[0].TestOutputs!, 1e-12, "test t=0");
        var exact = D(f0Test) + D(k.NtkTestTrain) * D(k.NtkTrainTrain).Solve(D(k.YTrain) - D(f0));
        Near(k.YTrain, s[1].TrainOutputs, 1e-12, "train t=∞");
        Near(T(exact), s[1].TestOutputs!, 1e-9, "test t=∞");
        Near(T(exact), s[2].TestOutputs!, 1e-6, "test t=1e7 (eigenbasis) ≈ t=∞ (Cholesky)");
        Assert.Equal(0, s[1].TrainLoss, 15);
    }

    [Fact]
    public void SingularKernelFallsBackToTheMinimumNormSolution()
    {
        // Θ = ΦΦᵀ of rank 3 < n = 8, Θ*ₓ = Φ*Φᵀ: consistent kernels of a linear model.
        var phi = RandomMatrix(8, 3, 7);
        var phiTest = RandomMatrix(2, 3, 8);
        var theta = LinearAlgebra.Multiply(phi, phi, Op.None, Op.Transpose);
        var thetaTest = LinearAlgebra.Multiply(phiTest, phi, Op.None, Op.Transpose);
        var y = RandomMatrix(8, 1, 9);
        var gd = new GradientDescentMse(theta, y, new DynamicsOptions { LearningRate = 0.5 * LearningRateBound.Maximum(theta, 8) });
        var inf = gd.Predict(double.PositiveInfinity, ntkTestTrain: thetaTest);
        var expected = D(thetaTest) * D(theta).PseudoInverse() * D(y);
        Near(T(expected), inf.TestOutputs!, 1e-8, "pseudoinverse at ∞");
        // The train outputs converge to the projection of Y on the range of Θ, not to Y.
        var projection = D(theta) * D(theta).PseudoInverse() * D(y);
        Near(T(projection), inf.TrainOutputs, 1e-8, "train outputs at ∞");
        Near(inf.TestOutputs!, gd.Predict(1e6, ntkTestTrain: thetaTest).TestOutputs!, 1e-6, "large t");

        var strict = new GradientDescentMse(theta, y, new DynamicsOptions { Solver = Solver.Cholesky });
        var ex = Assert.Throws<NotPositiveDefiniteException>(() => strict.Predict(double.PositiveInfinity, ntkTestTrain: thetaTest));
        Assert.Contains("ridge", ex.Message);
    }

    [Fact]
    public void LearningRateAboveTheBoundIsRejectedWithTheBoundInTheMessage()
    {
        var k = Relu(n: 9, m: 2, k: 2, seed: 10);
        double bound = LearningRateBound.Maximum(k.NtkTrainTrain, 18);
        var eigen = SymmetricEigen.Compute(k.NtkTrainTrain);
        Assert.Equal(2.0 * 18 / eigen.Values[^1], bound, 12);

        var tooFast = new GradientDescentMse(k.NtkTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 1.01 * bound });
        var ex = Assert.Throws<UnstableLearningRateException>(() => tooFast.Predict(1.0));
        Assert.Contains(bound.ToString("G6"), ex.Message);
        Assert.Contains("AllowUnstableLearningRate", ex.Message);

        var forced = new GradientDescentMse(k.NtkTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 1.01 * bound, AllowUnstableLearningRate = true });
        Assert.True(forced.Predict(1.0).TrainOutputs.AllFinite());
        Assert.Equal(bound, new GradientDescentMse(k.NtkTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.99 * bound }).MaxLearningRate, 12);
    }

    [Theory]
    [InlineData(0.99, true)]
    [InlineData(1.01, false)]
    public void ExplicitGradientDescentConvergesBelowTheBoundAndDivergesAbove(double fraction, bool converges)
    {
        var k = Relu(n: 9, m: 2, k: 2, seed: 11);
        int N = 18;
        double eta = fraction * LearningRateBound.Maximum(k.NtkTrainTrain, N);
        var f = new Matrix(9, 2);
        double initial = GradientDescentMse.MseLoss(f, k.YTrain);
        for (int step = 0; step < 4000; step++)
        {
            // f ← f − η·Θ·∇L, ∇L = (f − y)/N.
            var grad = Tangent.Dynamics.FunctionSpaceDynamics.Gradient(Loss.MeanSquaredError, f, k.YTrain);
            var update = LinearAlgebra.Multiply(k.NtkTrainTrain, grad);
            for (int i = 0; i < f.Data.Length; i++) f.Data[i] -= eta * update.Data[i];
        }
        double final = GradientDescentMse.MseLoss(f, k.YTrain);
        if (converges) Assert.True(final < 1e-3 * initial, $"loss {final:G3} from {initial:G3}");
        else Assert.True(!double.IsFinite(final) || final > 1e3 * initial, $"loss {final:G3} from {initial:G3}");
    }

    [Fact]
    public void ShapeErrorsNameExpectedAndActualShapes()
    {
        var k = Relu(n: 5, m: 2, k: 1, seed: 12);
        var ex = Assert.Throws<ArgumentException>(() => new GradientDescentMse(k.NtkTrainTrain, new Matrix(4, 1)));
        Assert.Contains("5 rows", ex.Message);
        Assert.Contains("4×1", ex.Message);
        var gd = new GradientDescentMse(k.NtkTrainTrain, k.YTrain, new DynamicsOptions { LearningRate = 0.1 });
        ex = Assert.Throws<ArgumentException>(() => gd.Predict(1, ntkTestTrain: new Matrix(2, 4)));
        Assert.Contains("n*×5", ex.Message);
        Assert.Contains("2×4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new GradientDescentMse(new Matrix(3, 4), new Matrix(3, 1)));
        Assert.Contains("3×4", ex.Message);
        var asym = k.NtkTrainTrain.Clone();
        asym[0, 1] += 1;
        ex = Assert.Throws<ArgumentException>(() => new GradientDescentMse(asym, k.YTrain));
        Assert.Contains("symmetric", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => gd.Predict(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ridge.Absolute(-1));
    }
}
