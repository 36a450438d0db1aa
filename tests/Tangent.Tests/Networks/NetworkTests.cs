using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Tests.Networks;

public class NetworkTests
{
    /// <summary>The Jacobian's column for each parameter equals the central difference of the outputs (step 1e-6, 6 digits).</summary>
    internal static void AssertJacobianMatchesFiniteDifferences(Network net, Matrix x)
    {
        var jac = net.Jacobian(x);
        var theta = net.GetParameters();
        const double h = 1e-6;
        for (int k = 0; k < theta.Length; k++)
        {
            var t = (double[])theta.Clone();
            t[k] += h; net.SetParameters(t); var fp = net.Predict(x);
            t[k] -= 2 * h; net.SetParameters(t); var fm = net.Predict(x);
            for (int r = 0; r < fp.Data.Length; r++) Assert.Equal((fp.Data[r] - fm.Data[r]) / (2 * h), jac[r, k], 6);
        }
    }

    /// <summary>The largest gap between a loss gradient <paramref name="g"/> and central differences of the loss
    /// (step 1e-6), and the largest |g|; the parameters are restored.</summary>
    internal static (double MaxError, double MaxGradient) GradientErrors(Network net, Matrix x, Matrix y, Loss loss, double[] g)
    {
        var theta = net.GetParameters();
        const double h = 1e-6;
        double maxErr = 0, maxG = 0;
        for (int k = 0; k < theta.Length; k++)
        {
            var t = (double[])theta.Clone();
            t[k] += h; net.SetParameters(t); double lp = net.Loss(x, y, loss);
            t[k] -= 2 * h; net.SetParameters(t); double lm = net.Loss(x, y, loss);
            maxErr = Math.Max(maxErr, Math.Abs((lp - lm) / (2 * h) - g[k]));
            maxG = Math.Max(maxG, Math.Abs(g[k]));
        }
        net.SetParameters(theta);
        return (maxErr, maxG);
    }

    internal static Matrix RandomMatrix(int r, int c, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(r, c, (_, _) => rng.NextDouble() * 2 - 1);
    }

    [Theory]
    [InlineData("dense(w=1.5,b=0.2) relu dense(w=1.3,b=0.1) erf dense(w=1,b=0.5)", Loss.MeanSquaredError)]
    [InlineData("dense(w=1.2,b=0.3,param=standard) gelu dense(w=1,b=0.1,param=standard)", Loss.MeanSquaredError)]
    [InlineData("dense(w=1.4,b=0.1) erf dense(w=1.1)", Loss.SoftmaxCrossEntropy)]
    public void BackpropagationMatchesFiniteDifferences(string spec, Loss loss)
    {
        var net = Network.Create(Architecture.Parse(spec), inputs: 3, width: 7, outputs: 3, seed: 5);
        var x = RandomMatrix(5, 3, 1);
        var y = loss == Loss.MeanSquaredError ? RandomMatrix(5, 3, 2) : Tangent.Data.Preprocessing.OneHot([0, 2, 1, 1, 0], 3);
        var (_, g) = net.LossGradient(x, y, loss);
        var (maxErr, maxG) = GradientErrors(net, x, y, loss, g);
        Assert.True(maxErr < 1e-6 * Math.Max(1, maxG), $"max |fd − backprop| = {maxErr}");
    }

    [Theory]
    [InlineData(Loss.MeanSquaredError, Loss.MeanSquaredError)]
    [InlineData(Loss.SoftmaxCrossEntropy, Loss.SoftmaxCrossEntropy)]
    public void FiniteNetworkLossEqualsTheFunctionSpaceLossOnTheSameLogits(Loss loss, Loss fsLoss)
    {
        var net = Network.Create(Architecture.Parse("dense(w=1.4,b=0.1) erf dense(w=1.1)"), inputs: 3, width: 6, outputs: 4, seed: 9);
        var x = RandomMatrix(5, 3, 3);
        var y = Tangent.Data.Preprocessing.OneHot([0, 3, 1, 2, 0], 4);
        var f = net.Predict(x);
        double expected = 0;
        for (int a = 0; a < f.Rows; a++)
        {
            double lse = Math.Log(Enumerable.Range(0, f.Cols).Sum(c => Math.Exp(f[a, c])));
            for (int c = 0; c < f.Cols; c++)
                expected += loss == Loss.MeanSquaredError ? 0.5 * (f[a, c] - y[a, c]) * (f[a, c] - y[a, c]) : -y[a, c] * (f[a, c] - lse);
        }
        expected /= f.Rows * f.Cols; // N = n·k entries for both losses (docs/NETWORKS.md, docs/DYNAMICS.md)
        Assert.Equal(expected, net.Loss(x, y, loss), 13);
        Assert.Equal(expected, FunctionSpaceDynamics.Value(fsLoss, f, y), 13);
    }

    [Fact]
    public void EmpiricalNtkEqualsNaiveJacobianProduct()
    {
        var net = Network.Create(Architecture.Parse("dense(w=1.5,b=0.2) relu dense(w=1.2,b=0.1) erf dense(w=1,b=0.3)"), 4, 9, outputs: 2, seed: 3);
        var x1 = RandomMatrix(6, 4, 7);
        var x2 = RandomMatrix(4, 4, 8);
        for (int o = 0; o < 2; o++)
        {
            var j1 = OutputRows(net.Jacobian(x1), 2, o);
            var j2 = OutputRows(net.Jacobian(x2), 2, o);
            var naive = LinearAlgebra.Multiply(j1, j2, Op.None, Op.Transpose);
            Assert.True(naive.MaxAbsDifference(net.Ntk(x1, x2, o)) < 1e-10);
            var naiveSym = LinearAlgebra.Multiply(j1, j1, Op.None, Op.Transpose);
            Assert.True(naiveSym.MaxAbsDifference(net.Ntk(x1, null, o)) < 1e-10);
        }
    }

    [Fact]
    public void JacobianMatchesFiniteDifferencesOfTheOutputs()
    {
        var net = Network.Create(Architecture.Parse("dense(w=1.3,b=0.4) erf dense(w=1,b=0.2)"), 2, 5, outputs: 2, seed: 11);
        var x = RandomMatrix(3, 2, 4);
        AssertJacobianMatchesFiniteDifferences(net, x);
    }

    [Fact]
    public void EmpiricalKernelsConvergeToTheInfiniteWidthKernels()
    {
        var arch = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)");
        var x = RandomMatrix(5, 3, 9);
        var exact = arch.ComputeKernels(x);
        var ntk = new Matrix(5, 5);
        var nngp = new Matrix(5, 5);
        const int samples = 40;
        for (int s = 0; s < samples; s++)
        {
            var net = Network.Create(arch, 3, 1024, outputs: 64, seed: 100 + s);
            var t = net.Ntk(x); var g = net.Nngp(x);
            for (int k = 0; k < 25; k++) { ntk.Data[k] += t.Data[k] / samples; nngp.Data[k] += g.Data[k] / samples; }
        }
        Assert.True(RelErr(ntk, exact.Ntk) < 0.03, $"NTK rel err {RelErr(ntk, exact.Ntk)}");
        Assert.True(RelErr(nngp, exact.Nngp) < 0.1, $"NNGP rel err {RelErr(nngp, exact.Nngp)}");
    }

    [Fact]
    public void HoldsTheSameParametersAsTheLayersFiniteTwin()
    {
        // Same seed, same draw order: Network and Architecture.Initialize hold identical parameters.
        var arch = Architecture.Parse("dense(w=1.5,b=0.2) relu dense(w=1.1,b=0.3) relu dense(w=1,b=0.1)");
        var x = RandomMatrix(5, 3, 1);
        var twin = arch.Initialize(3, 6, new Random(4));
        var net = Network.Create(arch, 3, 6, outputs: 6, seed: 4);
        Assert.Equal(twin.Parameters.SelectMany(p => p.Data).ToArray(), net.GetParameters());
        Assert.True(twin.Forward(x).MaxAbsDifference(net.Predict(x)) < 1e-12);
    }

    [Fact]
    public void GradientDescentReachesZeroTrainingLossAndSgdLowersIt()
    {
        var arch = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)");
        var x = RandomMatrix(12, 3, 2);
        var y = Matrix.Build(12, 1, (i, _) => Math.Sin(3 * x[i, 0]) + x[i, 1]);
        var net = Network.Create(arch, 3, 256, 1, seed: 1);
        double eta = 0.5 * Training.MaxLearningRate(net, x);
        double before = net.Loss(x, y);
        var gd = Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = 2000 });
        Assert.True(gd.FinalLoss < 1e-3 * before, $"GD: {before} → {gd.FinalLoss}");

        var net2 = Network.Create(arch, 3, 256, 1, seed: 1);
        var sgd = Training.Train(net2, x, y, new TrainingOptions { LearningRate = eta / 4, Steps = 500, BatchSize = 4, Seed = 3, LossEvery = 100 });
        Assert.True(sgd.FinalLoss < 0.2 * before, $"SGD: {before} → {sgd.FinalLoss}");
        // determinism
        var net3 = Network.Create(arch, 3, 256, 1, seed: 1);
        var again = Training.Train(net3, x, y, new TrainingOptions { LearningRate = eta / 4, Steps = 500, BatchSize = 4, Seed = 3 });
        Assert.Equal(sgd.FinalLoss, again.FinalLoss);
    }

    [Fact]
    public void TooLargeLearningRateFailsWithAdvice()
    {
        var net = Network.Create(Architecture.Parse("dense relu dense"), 2, 64, 1, seed: 1);
        var x = RandomMatrix(6, 2, 2);
        var y = RandomMatrix(6, 1, 3);
        double eta = 10 * Training.MaxLearningRate(net, x);
        var e = Assert.Throws<ArgumentException>(() => Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = 3000 }));
        Assert.Contains("learning rate", e.Message);
    }

    [Fact]
    public void LinearizedNetworkTracksTheWideNetworkAndFollowsTheEmpiricalNtkFlow()
    {
        var arch = Architecture.Parse("dense(w=1.5,b=0.1) erf dense(w=1.5,b=0.1)");
        var x = RandomMatrix(6, 2, 5);
        var y = Matrix.Build(6, 1, (i, _) => x[i, 0] * x[i, 1] + 0.5);
        var xt = RandomMatrix(4, 2, 6);
        var net = Network.Create(arch, 2, 2048, 1, seed: 2);
        var lin = new LinearizedNetwork(net);
        var ntk = net.Ntk(x);
        double eta = 0.5 * Training.MaxLearningRate(net, x);
        const int steps = 300;
        lin.Train(x, y, eta, steps);
        // Function-space check: f_lin(train) = Y + (I − η/N·Θ̂)^t (f₀ − Y).
        var f0 = net.Predict(x);
        var r = new Matrix(6, 1);
        for (int a = 0; a < 6; a++) r.Data[a] = f0.Data[a] - y.Data[a];
        for (int s = 0; s < steps; s++)
        {
            var tr = LinearAlgebra.Multiply(ntk, r);
            for (int a = 0; a < 6; a++) r.Data[a] -= eta / 6 * tr.Data[a];
        }
        var flin = lin.Predict(x);
        for (int a = 0; a < 6; a++) Assert.Equal(y.Data[a] + r.Data[a], flin.Data[a], 8);
        // The real network, trained the same way, stays close to its linearization on test points.
        Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = steps });
        var diff = net.Predict(xt); var pl = lin.Predict(xt);
        Assert.True(diff.MaxAbsDifference(pl) < 0.05, $"network vs linearized {diff.MaxAbsDifference(pl)}");
    }

    internal static Matrix OutputRows(Matrix jac, int k, int o) =>
        jac.SelectRows(Enumerable.Range(0, jac.Rows / k).Select(a => a * k + o).ToArray());

    internal static double RelErr(Matrix a, Matrix b)
    {
        double num = 0, den = 0;
        for (int k = 0; k < a.Data.Length; k++) { num += (a.Data[k] - b.Data[k]) * (a.Data[k] - b.Data[k]); den += b.Data[k] * b.Data[k]; }
        return Math.Sqrt(num / den);
    }
}
