using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Tests.Networks;

/// <summary>
/// Finite networks with frozen layers (docs/LAYERS.md, "Frozen layers"): the parameters are drawn as in the
/// trained network but are not trainable: not counted, not in the Jacobian or the empirical NTK, not updated.
/// </summary>
public sealed class FrozenNetworkTests
{
    private const string Trained = "dense(w=1.4,b=0.2) relu dense(w=1.3,b=0.1) erf dense(w=1.1,b=0.3)";
    private const string FirstFrozen = "dense(w=1.4,b=0.2,frozen=true) relu dense(w=1.3,b=0.1) erf dense(w=1.1,b=0.3)";

    [Fact]
    public void FrozenParametersAreDrawnAsUsualButNotCountedAsTrainable()
    {
        const int d = 3, width = 6, outputs = 2;
        var trained = Network.Create(Architecture.Parse(Trained), d, width, outputs, seed: 4);
        var frozen = Network.Create(Architecture.Parse(FirstFrozen), d, width, outputs, seed: 4);
        int first = width * d + width;
        Assert.Equal(trained.ParameterCount - first, frozen.ParameterCount);
        Assert.Equal(trained.GetParameters()[first..], frozen.GetParameters());   // the same draws, the frozen ones left out
        var x = NetworkTests.RandomMatrix(5, d, 1);
        Assert.True(trained.Predict(x).MaxAbsDifference(frozen.Predict(x)) == 0, "the same network before training");
        // The empirical NTK is the Gram of the Jacobian over the trainable parameters only, and smaller than the full one.
        var jac = frozen.Jacobian(x);
        Assert.Equal(frozen.ParameterCount, jac.Cols);
        for (int o = 0; o < outputs; o++)
        {
            var rows = NetworkTests.OutputRows(jac, outputs, o);
            var gram = LinearAlgebra.Multiply(rows, rows, Op.None, Op.Transpose);
            Assert.True(gram.MaxAbsDifference(frozen.Ntk(x, null, o)) < 1e-10 * gram.Data.Max(Math.Abs));
            var all = trained.Ntk(x, null, o);
            for (int i = 0; i < x.Rows; i++) Assert.True(all[i, i] > frozen.Ntk(x, null, o)[i, i] * 1.01);
        }
        NetworkTests.AssertJacobianMatchesFiniteDifferences(frozen, x);
    }

    [Fact]
    public void TrainingLeavesTheFrozenWeightsWhereTheyWere()
    {
        const int d = 3, width = 32;
        var x = NetworkTests.RandomMatrix(10, d, 2);
        var y = Matrix.Build(10, 1, (i, _) => Math.Sin(3 * x[i, 0]) + x[i, 1]);
        var frozen = Network.Create(Architecture.Parse(FirstFrozen), d, width, 1, seed: 7);
        double eta = 0.5 * Training.MaxLearningRate(frozen, x);
        double before = frozen.Loss(x, y);
        var trace = Training.Train(frozen, x, y, new TrainingOptions { LearningRate = eta, Steps = 300 });
        Assert.True(trace.FinalLoss < 0.5 * before, $"the trainable layers learn: {before} → {trace.FinalLoss}");

        // The fully trainable twin (same seed, same draws) given the initial first layer and the trained rest is the same function:
        // so the frozen first layer did not move. Given its initial rest instead, it is not.
        var twin = Network.Create(Architecture.Parse(Trained), d, width, 1, seed: 7);
        int first = width * d + width;
        var initial = twin.GetParameters();
        var composed = initial[..first].Concat(frozen.GetParameters()).ToArray();
        var probe = NetworkTests.RandomMatrix(8, d, 3);
        Assert.True(twin.Predict(probe).MaxAbsDifference(frozen.Predict(probe)) > 1e-3, "training changed the function");
        twin.SetParameters(composed);
        Assert.True(twin.Predict(probe).MaxAbsDifference(frozen.Predict(probe)) < 1e-12);
    }

    [Fact]
    public void AFrozenConvolutionIsNotTrainedEither()
    {
        var shape = new ImageShape(4, 4, 1);
        var arch = Architecture.Parse("conv(size=3,w=1.41,b=0.1) relu conv(size=2,w=1.3) relu flatten dense(w=1)").WithInputShape(shape);
        var trained = Network.Create(arch, 16, 3, 1, seed: 2);
        var frozen = Network.Create(arch.FreezeBottom(1), 16, 3, 1, seed: 2);
        Assert.Equal(trained.ParameterCount - (9 * 1 * 3 + 3), frozen.ParameterCount);
        var x = NetworkTests.RandomMatrix(3, 16, 5);
        var jac = frozen.Jacobian(x);
        var gram = LinearAlgebra.Multiply(jac, jac, Op.None, Op.Transpose);
        Assert.True(gram.MaxAbsDifference(frozen.Ntk(x)) < 1e-10 * gram.Data.Max(Math.Abs));
        NetworkTests.AssertJacobianMatchesFiniteDifferences(frozen, x);
    }
}
