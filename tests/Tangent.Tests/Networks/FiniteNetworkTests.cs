using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Tests.Networks;

/// <summary>
/// Network on every kind of architecture (docs/NETWORKS.md): the backpropagated loss gradient against
/// central finite differences, the contracted empirical NTK against J·Jᵀ from the materialised Jacobian,
/// training of a small CNN, the sizing of the output layer and Clone.
/// </summary>
public class FiniteNetworkTests
{
    /// <summary>(spec, image shape or null): dense; conv with same/valid padding, stride 2 and 1-D; pooling;
    /// parallel, concat and product branches; repeat (also at the end); layer_norm; a quadrature activation.</summary>
    public static TheoryData<string, string?> Architectures => new()
    {
        { "dense(w=1.5,b=0.2) relu dense(w=1.3,b=0.1) erf dense(w=1,b=0.5)", null },
        { "conv(size=3,w=1.4,b=0.1) relu flatten dense(w=1.2)", "4x4x1" },
        { "conv(size=2,w=1.3,padding=valid) erf flatten dense(w=1.1,b=0.2)", "4x3x2" },
        { "conv(size=3,stride=2,w=1.2,b=0.1) gelu flatten dense", "5x5x1" },
        { "conv(size=3,dims=1,w=1.3,b=0.2) relu conv(size=2,dims=1,padding=circular) erf flatten dense(w=0.9)", "1x6x2" },
        { "conv(size=2,w=1.2) relu avg_pool(size=2) conv(size=1,w=1.1,b=0.1) relu global_avg_pool dense(w=1.3)", "4x4x1" },
        { "dense(w=1.3,b=0.1) relu parallel{dense(w=1.1,b=0.2) erf dense(w=0.9) | dense(w=1.2)} relu parallel{dense(w=1.1) | dense(w=0.8,b=0.1)}", null },
        { "dense(w=1.2) concat{erf dense(w=1.3,b=0.1) | gelu} dense(w=1.1)", null },
        { "dense(w=1.2) erf product{dense(w=1.1,b=0.2) erf dense(w=0.9) | dense(w=1.3,b=0.1)} dense(w=0.9)", null },
        { "dense(w=1.2,b=0.1) repeat(2){relu dense(w=1.3,b=0.1)}", null },
        { "dense(w=1.3,b=0.2) layer_norm erf dense(w=0.7,b=0.5) layer_norm tanh dense(w=1.1,b=0.1)", null },
    };

    private const int Outputs = 3, Width = 3;

    private static (Network Net, Matrix X) Build(string spec, string? shape, int n = 4, int seed = 5)
    {
        var arch = Architecture.Parse(spec);
        int d = 3;
        if (shape is not null) { var s = ImageShape.Parse(shape); arch = arch.WithInputShape(s); d = s.Features; }
        return (Network.Create(arch, d, Width, Outputs, seed), NetworkTests.RandomMatrix(n, d, seed + 1));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void LossGradientEqualsCentralFiniteDifferencesForBothLosses(string spec, string? shape)
    {
        var (net, x) = Build(spec, shape);
        Assert.Equal(Outputs, net.Outputs);
        foreach (var loss in new[] { Loss.MeanSquaredError, Loss.SoftmaxCrossEntropy })
        {
            var y = loss == Loss.MeanSquaredError ? NetworkTests.RandomMatrix(x.Rows, Outputs, 2) : Tangent.Data.Preprocessing.OneHot([0, 2, 1, 1], Outputs);
            var (value, g) = net.LossGradient(x, y, loss);
            Assert.Equal(net.Loss(x, y, loss), value, 12);
            var (maxErr, maxG) = NetworkTests.GradientErrors(net, x, y, loss, g);
            Assert.True(maxG > 0, $"{spec}: a zero gradient tests nothing");
            Assert.True(maxErr < 1e-6 * Math.Max(1, maxG), $"{spec} ({loss}): max |fd − backprop| = {maxErr:G3}, max |g| = {maxG:G3}");
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void ContractedNtkEqualsTheJacobianGram(string spec, string? shape)
    {
        var (net, x1) = Build(spec, shape);
        var x2 = NetworkTests.RandomMatrix(3, x1.Cols, 17);
        var j1 = net.Jacobian(x1);
        var j2 = net.Jacobian(x2);
        Assert.Equal((x1.Rows * Outputs, net.ParameterCount), (j1.Rows, j1.Cols));
        for (int o = 0; o < Outputs; o++)
        {
            var a = NetworkTests.OutputRows(j1, Outputs, o);
            var b = NetworkTests.OutputRows(j2, Outputs, o);
            var sym = LinearAlgebra.Multiply(a, a, Op.None, Op.Transpose);
            var cross = LinearAlgebra.Multiply(a, b, Op.None, Op.Transpose);
            double scale = Math.Max(1, sym.Data.Max(Math.Abs));
            Assert.True(sym.MaxAbsDifference(net.Ntk(x1, null, o)) < 1e-10 * scale, $"{spec}: Θ(X, X) of output {o}");
            Assert.True(cross.MaxAbsDifference(net.Ntk(x1, x2, o)) < 1e-10 * scale, $"{spec}: Θ(X1, X2) of output {o}");
        }
    }

    [Fact]
    public void JacobianOfACnnMatchesFiniteDifferencesOfTheOutputs()
    {
        var (net, x) = Build("conv(size=3,w=1.4,b=0.1) relu avg_pool(size=2,stride=1) flatten dense(w=1.2,b=0.3)", "4x4x1", n: 2);
        NetworkTests.AssertJacobianMatchesFiniteDifferences(net, x);
    }

    [Fact]
    public void GradientDescentAndSgdReduceTheLossOfASmallCnn()
    {
        var arch = Architecture.Parse("conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)").WithInputShape(new ImageShape(5, 5, 1));
        var x = NetworkTests.RandomMatrix(16, 25, 3);
        var y = Matrix.Build(16, 1, (i, _) => Math.Sin(2 * x[i, 0]) + x[i, 12] * x[i, 6]);
        var net = Network.Create(arch, 25, 32, 1, seed: 4);
        double eta = 0.5 * Training.MaxLearningRate(net, x);
        double before = net.Loss(x, y);
        var gd = Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = 400 });
        Assert.True(gd.FinalLoss < 0.05 * before, $"GD: {before} → {gd.FinalLoss}");

        var net2 = Network.Create(arch, 25, 32, 1, seed: 4);
        var sgd = Training.Train(net2, x, y, new TrainingOptions { LearningRate = eta / 2, Steps = 400, BatchSize = 4, Seed = 7 });
        Assert.True(sgd.FinalLoss < 0.3 * before, $"SGD: {before} → {sgd.FinalLoss}");
    }

    [Fact]
    public void TrainingStepsAllocateNoBatchByWidthMatricesAndPredictionsStayValid()
    {
        const int n = 200, width = 512;
        var net = Network.Create(Architecture.Parse("dense(w=1.4,b=0.1) relu dense(w=1.4,b=0.1) erf dense(w=1.2,b=0.1)"), 10, width, 1, seed: 1);
        var x = NetworkTests.RandomMatrix(n, 10, 2);
        var y = NetworkTests.RandomMatrix(n, 1, 3);
        var kept = net.Predict(x);
        var copy = kept.Clone();
        net.LossGradient(x, y);   // the first step allocates the work matrices
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 5;
        for (int s = 0; s < steps; s++) net.LossGradient(x, y);
        // What a step may allocate: the flat gradient it returns (P values) and small change, not an n×width matrix.
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps - (long)net.ParameterCount * sizeof(double);
        Assert.True(perStep < n * width * sizeof(double) / 4, $"{perStep} bytes per step besides the gradient (an n×width matrix is {n * width * sizeof(double)})");
        Assert.Equal(copy.Data, kept.Data);   // a prediction is not a work matrix
        Assert.NotSame(kept, net.Predict(x));
    }

    [Fact]
    public void CloneIsAnIndependentCopy()
    {
        var (net, x) = Build("conv(size=3,w=1.4,b=0.1) relu flatten dense(w=1.2)", "4x4x1", n: 6);
        var copy = net.Clone();
        Assert.Equal(net.GetParameters(), copy.GetParameters());
        Assert.Equal(net.Predict(x).Data, copy.Predict(x).Data);
        var before = net.GetParameters();
        var y = NetworkTests.RandomMatrix(6, Outputs, 9);
        Training.Train(copy, x, y, new TrainingOptions { LearningRate = 0.5, Steps = 5 });
        Assert.Equal(before, net.GetParameters());
        Assert.NotEqual(before, copy.GetParameters());
        copy.SetParameters(new double[copy.ParameterCount]);
        Assert.Equal(before, net.GetParameters());
    }

    [Theory]
    [InlineData("dense relu dense", 4)]
    [InlineData("dense relu parallel{dense | dense(w=0.5)}", 4)]
    [InlineData("dense relu parallel{dense relu dense | identity}", 4)]          // a residual block at the end: the dense before it too
    [InlineData("dense relu repeat(3){parallel{dense relu dense | identity}}", 4)]
    [InlineData("dense repeat(2){relu dense} layer_norm", 4)]
    [InlineData("dense relu dense(width=5)", 5)]                                     // a fixed width wins
    [InlineData("dense relu concat{dense | dense}", 14)]                             // a concat's width is its branches' sum
    public void TheLayersThatEndTheNetworkGetTheOutputs(string spec, int expected)
    {
        var net = Network.Create(Architecture.Parse(spec), inputs: 3, width: 7, outputs: 4, seed: 1);
        Assert.Equal(expected, net.Outputs);
        var f = net.Predict(NetworkTests.RandomMatrix(2, 3, 1));
        Assert.Equal((2, expected), (f.Rows, f.Cols));
    }

    [Fact]
    public void AnImageNetworkWithoutADenseReadoutHasOneOutputPerChannel()
    {
        var arch = Architecture.Parse("conv(size=2) relu global_avg_pool").WithInputShape(new ImageShape(3, 3, 1));
        var net = Network.Create(arch, 9, width: 6, outputs: 1, seed: 2);
        Assert.Equal(6, net.Outputs);
    }

    [Fact]
    public void ImageInputsMustMatchTheShape()
    {
        var arch = Architecture.Parse("conv relu flatten dense");
        var e = Assert.Throws<InvalidOperationException>(() => Network.Create(arch, 16, 4));
        Assert.Contains("WithInputShape", e.Message);
        var a = Assert.Throws<ArgumentException>(() => Network.Create(arch.WithInputShape(new ImageShape(4, 4, 1)), 15, 4));
        Assert.Contains("16 input columns", a.Message);
    }

    [Fact]
    public void DropoutDrawsAFreshMaskOnEveryForwardPassAndTrains()
    {
        var arch = Architecture.Parse("dense(w=1.4,b=0.1) relu dropout(rate=0.3) dense(w=1.2)");
        var net = Network.Create(arch, 3, 64, 1, seed: 3);
        var x = NetworkTests.RandomMatrix(8, 3, 4);
        Assert.NotEqual(net.Predict(x).Data, net.Predict(x).Data);
        var y = Matrix.Build(8, 1, (i, _) => x[i, 0] - x[i, 1]);
        var plain = Network.Create(Architecture.Parse("dense(w=1.4,b=0.1) relu dense(w=1.2)"), 3, 64, 1, seed: 3);
        double eta = 0.25 * Training.MaxLearningRate(plain, x);
        double before = Enumerable.Range(0, 20).Average(_ => net.Loss(x, y));
        Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = 300 });
        double after = Enumerable.Range(0, 20).Average(_ => net.Loss(x, y));
        Assert.True(after < 0.5 * before, $"dropout network: {before} → {after}");
    }
}
