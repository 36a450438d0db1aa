using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Completion;

public sealed class NeuralMatrixCompletionTests
{
    [Fact]
    public void PaperKernelMatchesTheClosedFormOfTheOneHiddenLayerReluNtk()
    {
        // Θ(x, x') = (σw²/2)/d · (κ₁(c) + c·κ₀(c)) for unit x, x' in d dimensions, c = cos∠(x, x'):
        // κ₀(c) = (π − θ)/π, κ₁(c) = (sin θ + (π − θ)·c)/π (Arora et al. 2019; the paper's kappa).
        var k = (NeuralKernel)NeuralMatrixCompletion.Default.Kernel;
        var x = Matrix.FromRows([1, 0], [0.5, Math.Sqrt(3) / 2]);
        var theta = k.Compute(x);
        double c = 0.5, t = Math.PI / 3, w2 = 1.41 * 1.41;
        double k0 = (Math.PI - t) / Math.PI, k1 = (Math.Sin(t) + (Math.PI - t) * c) / Math.PI;
        Assert.Equal(w2 / 2 / 2 * (k1 + c * k0), theta[0, 1], 12);
        Assert.Equal(w2 / 2 / 2 * 2, theta[0, 0], 12);   // c = 1: κ₁ = κ₀ = 1
    }

    [Fact]
    public void IdentityPriorPredictsTheHandFormulaFromTheRowsObservedEntries()
    {
        // One-hot samples: Θ = D on the diagonal, B off it. Row (y0, y1, ?) predicts B·(y0 + y1)/(D + B).
        var data = IncompleteMatrix.FromNaN(Matrix.FromRows([2, 5, double.NaN], [double.NaN, 1, 3]));
        var completion = NeuralMatrixCompletion.Default with { Prior = CompletionPrior.Identity };
        var result = completion.Complete(data).Completed;
        double w2 = 1.41 * 1.41, d = 3, D = w2 / 2 / d * 2, B = w2 / 2 / d / Math.PI;
        Assert.Equal(B * (2 + 5) / (D + B), result[0, 2], 12);
        Assert.Equal(B * (1 + 3) / (D + B), result[1, 0], 12);
        Assert.Equal([2, 5, 1, 3], new[] { result[0, 0], result[0, 1], result[1, 1], result[1, 2] });
    }

    [Fact]
    public void NewColumnWithTheFeaturesOfAnObservedOneGetsItsValues()
    {
        // Ridgeless kernel regression interpolates: a sample whose features equal those of an observed sample is predicted
        // exactly that sample's values, even with no entry of its own (the cold start of the feature prior).
        var features = Matrix.FromRows([1, 0.2], [0.3, 1], [-0.5, 0.7], [0.3, 1]);   // column 4 = column 2
        var values = Matrix.FromRows([1.5, -2, 0.25, double.NaN], [3, 0.5, -1, double.NaN], [0.1, 0.2, 0.3, double.NaN]);
        var completion = NeuralMatrixCompletion.Default with { Prior = CompletionPrior.Features };
        var result = completion.Complete(IncompleteMatrix.FromNaN(values), features).Completed;
        for (int i = 0; i < 3; i++) Assert.Equal(values[i, 1], result[i, 3], 9);
    }

    [Fact]
    public void ErrorOnMissingEntriesFallsAsMoreEntriesAreObserved()
    {
        var truth = CompletionTestData.LowRank(40, 40, 2, seed: 3);
        double Rmse(double fraction) => Enumerable.Range(0, 3).Average(s =>
        {
            var data = new IncompleteMatrix(truth, CompletionTestData.Mask(40, 40, fraction, 10 + s));
            return NeuralMatrixCompletion.Default.Complete(data).MissingRmse(truth);
        });
        double low = Rmse(0.2), mid = Rmse(0.5), high = Rmse(0.8);
        Assert.True(low > mid && mid > high, $"RMSE at 20/50/80 % observed: {low}, {mid}, {high}");
    }

    [Fact]
    public void FeedingTheCompletionBackAsThePriorLowersTheErrorOnALowRankMatrix()
    {
        var truth = CompletionTestData.LowRank(40, 40, 2, seed: 4);
        var data = new IncompleteMatrix(truth, CompletionTestData.Mask(40, 40, 0.5, 5));
        double one = NeuralMatrixCompletion.Default.Complete(data).MissingRmse(truth);
        var iterated = (NeuralMatrixCompletion.Default with { Iterations = 10 }).Complete(data);
        Assert.Equal(10, iterated.Iterations);
        Assert.True(iterated.MissingRmse(truth) < 0.5 * one, $"one pass {one}, ten passes {iterated.MissingRmse(truth)}");
    }

    [Fact]
    public void RowsAsSamplesIsTheCompletionOfTheTranspose()
    {
        var truth = CompletionTestData.LowRank(12, 9, 2, seed: 6);
        var data = new IncompleteMatrix(truth, CompletionTestData.Mask(12, 9, 0.6, 7));
        var byRows = (NeuralMatrixCompletion.Default with { Samples = CompletionAxis.Rows }).Complete(data).Completed;
        var transposed = NeuralMatrixCompletion.Default.Complete(data.Transpose()).Completed.Transpose();
        Assert.True(byRows.MaxAbsDifference(transposed) < 1e-12);
    }

    [Fact]
    public void RidgeMovesThePredictionsAndRelativeRidgeIsScaleFree()
    {
        var truth = CompletionTestData.LowRank(15, 15, 2, seed: 8);
        var data = new IncompleteMatrix(truth, CompletionTestData.Mask(15, 15, 0.5, 9));
        var none = NeuralMatrixCompletion.Default.Complete(data).Completed;
        var ridged = (NeuralMatrixCompletion.Default with { Ridge = Ridge.Relative(0.1) }).Complete(data).Completed;
        Assert.True(none.MaxAbsDifference(ridged) > 1e-3);
        var scaled = new NeuralMatrixCompletion(new NeuralKernel(Architecture.Parse("dense(w=3) relu dense"), KernelOutputs.Ntk)) { Ridge = Ridge.Relative(0.1) };
        Assert.True(scaled.Complete(data).Completed.MaxAbsDifference(ridged) < 1e-9);
    }

    [Fact]
    public void RowWithoutObservedEntryIsNamed()
    {
        var values = Matrix.FromRows([1, 2], [double.NaN, double.NaN], [3, 4]);
        var e = Assert.Throws<ArgumentException>(() => NeuralMatrixCompletion.Default.Complete(IncompleteMatrix.FromNaN(values)));
        Assert.StartsWith("Row 2 has no observed entry", e.Message);
    }

    [Fact]
    public void ColumnWithoutObservedEntryIsNamedUnderTheObservedPriorOnly()
    {
        var values = Matrix.FromRows([1, double.NaN, 2], [3, double.NaN, 4]);
        var e = Assert.Throws<ArgumentException>(() => NeuralMatrixCompletion.Default.Complete(IncompleteMatrix.FromNaN(values)));
        Assert.StartsWith("Column 2 has no observed entry", e.Message);
        var identity = (NeuralMatrixCompletion.Default with { Prior = CompletionPrior.Identity }).Complete(IncompleteMatrix.FromNaN(values));
        Assert.True(identity.Completed.AllFinite());
    }

    [Fact]
    public void SettingsThatCannotWorkAreRefused()
    {
        var data = IncompleteMatrix.FromNaN(Matrix.FromRows([1, double.NaN], [3, 4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => (NeuralMatrixCompletion.Default with { Iterations = 0 }).Complete(data));
        Assert.Throws<ArgumentOutOfRangeException>(() => (NeuralMatrixCompletion.Default with { Iterations = 2, Prior = CompletionPrior.Identity }).Complete(data));
        var noFeatures = Assert.Throws<ArgumentException>(() => (NeuralMatrixCompletion.Default with { Prior = CompletionPrior.Features }).Complete(data));
        Assert.Contains("no side features", noFeatures.Message);
        var wrongRows = Assert.Throws<ArgumentException>(() => (NeuralMatrixCompletion.Default with { Prior = CompletionPrior.Features }).Complete(data, new Matrix(3, 1)));
        Assert.Contains("3 rows", wrongRows.Message);
    }
}
