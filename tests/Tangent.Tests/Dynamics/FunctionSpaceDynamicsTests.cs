using Tangent.Dynamics;
using Tangent.Numerics;
using static Tangent.Tests.Dynamics.DynamicsFixtures;

namespace Tangent.Tests.Dynamics;

public sealed class FunctionSpaceDynamicsTests
{
    [Fact]
    public void MseOdeMatchesTheClosedForm()
    {
        var k = Relu(n: 12, m: 4, k: 2, seed: 50);
        var f0 = RandomMatrix(12, 2, 51);
        var f0Test = RandomMatrix(4, 2, 52);
        var options = new DynamicsOptions { LearningRate = 0.8, Ridge = Ridge.Relative(1e-3) };
        double[] times = [0, 0.5, 4, 40, 400];
        var ode = new FunctionSpaceDynamics(k.NtkTrainTrain, k.YTrain, Loss.MeanSquaredError, options,
            new OdeOptions { RelativeTolerance = 1e-10, AbsoluteTolerance = 1e-12 }).Solve(times, f0, k.NtkTestTrain, f0Test);
        var exact = new GradientDescentMse(k.NtkTrainTrain, k.YTrain, options).Trajectory(times, f0, k.NtkTestTrain, f0Test);
        for (int q = 0; q < times.Length; q++)
        {
            Near(exact[q].TrainOutputs, ode.Snapshots[q].TrainOutputs, 1e-8, $"train t={times[q]}");
            Near(exact[q].TestOutputs!, ode.Snapshots[q].TestOutputs!, 1e-8, $"test t={times[q]}");
            Assert.Equal(exact[q].TrainLoss, ode.Snapshots[q].TrainLoss, 8);
        }
        Assert.True(ode.AcceptedSteps > 5);
    }

    [Fact]
    public void CrossEntropyGradientMatchesFiniteDifferences()
    {
        var f = RandomMatrix(4, 3, 53);
        var y = Matrix.FromRows([1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.2, 0.3, 0.5]);
        var g = FunctionSpaceDynamics.Gradient(Loss.SoftmaxCrossEntropy, f, y);
        const double h = 1e-6;
        for (int i = 0; i < f.Data.Length; i++)
        {
            var fp = f.Clone(); fp.Data[i] += h;
            var fm = f.Clone(); fm.Data[i] -= h;
            double fd = (FunctionSpaceDynamics.Value(Loss.SoftmaxCrossEntropy, fp, y) - FunctionSpaceDynamics.Value(Loss.SoftmaxCrossEntropy, fm, y)) / (2 * h);
            Assert.Equal(fd, g.Data[i], 8);
        }
        // The normalisation: mean over all n·k entries (one-hot row i, all-zero outputs: loss log k / k per row).
        Assert.Equal(Math.Log(3) / 3, FunctionSpaceDynamics.Value(Loss.SoftmaxCrossEntropy, new Matrix(3, 3), Matrix.FromRows([1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0])), 14);
    }

    [Fact]
    public void CrossEntropyOdeMatchesAFineFixedStepIntegrationAndLearnsTheLabels()
    {
        var k = Relu(n: 10, m: 3, k: 1, seed: 54);
        var y = Matrix.Build(10, 3, (i, c) => c == i % 3 ? 1.0 : 0.0);
        const double eta = 2.0, horizon = 30;
        var ode = new FunctionSpaceDynamics(k.NtkTrainTrain, y, Loss.SoftmaxCrossEntropy, new DynamicsOptions { LearningRate = eta });
        var traj = ode.Solve([0, 10, horizon], ntkTestTrain: k.NtkTestTrain);

        // Classical RK4 with a small fixed step on f and on z = ∫∇L.
        var f = new Matrix(10, 3);
        var z = new Matrix(10, 3);
        const int steps = 6000;
        double h = horizon / steps;
        Matrix Rhs(Matrix x) => FunctionSpaceDynamics.Gradient(Loss.SoftmaxCrossEntropy, x, y);
        for (int s = 0; s < steps; s++)
        {
            var g1 = Rhs(f);
            var f2 = Step(f, -eta * h / 2, LinearAlgebra.Multiply(k.NtkTrainTrain, g1)); var g2 = Rhs(f2);
            var f3 = Step(f, -eta * h / 2, LinearAlgebra.Multiply(k.NtkTrainTrain, g2)); var g3 = Rhs(f3);
            var f4 = Step(f, -eta * h, LinearAlgebra.Multiply(k.NtkTrainTrain, g3)); var g4 = Rhs(f4);
            var g = Matrix.Build(10, 3, (i, c) => (g1[i, c] + 2 * g2[i, c] + 2 * g3[i, c] + g4[i, c]) / 6);
            f = Step(f, -eta * h, LinearAlgebra.Multiply(k.NtkTrainTrain, g));
            z = Step(z, h, g);
        }
        Near(f, traj.Snapshots[2].TrainOutputs, 1e-7, "train outputs");
        var test = LinearAlgebra.Multiply(k.NtkTestTrain, z);
        for (int i = 0; i < test.Data.Length; i++) test.Data[i] *= -eta;
        Near(test, traj.Snapshots[2].TestOutputs!, 1e-7, "test outputs");

        Assert.Equal(Math.Log(3) / 3, traj.Snapshots[0].TrainLoss, 14);
        Assert.True(traj.Snapshots[1].TrainLoss < traj.Snapshots[0].TrainLoss && traj.Snapshots[2].TrainLoss < traj.Snapshots[1].TrainLoss);
        Assert.Equal(1.0, GeneralizationError.ClassificationAccuracy(traj.Snapshots[2].TrainOutputs, y));
    }

    private static Matrix Step(Matrix a, double s, Matrix b)
    {
        var r = a.Clone();
        for (int i = 0; i < r.Data.Length; i++) r.Data[i] += s * b.Data[i];
        return r;
    }

    [Fact]
    public void TimesMustBeAscendingAndFiniteAndStepLimitIsExplained()
    {
        var k = Relu(n: 5, m: 1, k: 1, seed: 55);
        var ode = new FunctionSpaceDynamics(k.NtkTrainTrain, k.YTrain, Loss.MeanSquaredError);
        Assert.Contains("ascending", Assert.Throws<ArgumentException>(() => ode.Solve([2, 1])).Message);
        Assert.Contains("GradientDescentMse", Assert.Throws<ArgumentException>(() => ode.Solve([double.PositiveInfinity])).Message);
        var limited = new FunctionSpaceDynamics(k.NtkTrainTrain, k.YTrain, Loss.MeanSquaredError, ode: new OdeOptions { MaxSteps = 3 });
        Assert.Contains("MaxSteps", Assert.Throws<InvalidOperationException>(() => limited.Solve([1e4])).Message);
    }
}
