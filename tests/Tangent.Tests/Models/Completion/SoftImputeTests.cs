using System.Globalization;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Completion;

public sealed class SoftImputeTests
{
    [Fact]
    public void ThresholdShrinksSingularValuesByLambda()
    {
        var w = Matrix.FromRows([3, 0], [0, 1], [0, 0]);
        Assert.True(SoftImpute.Threshold(w, 0.5).MaxAbsDifference(Matrix.FromRows([2.5, 0], [0, 0.5], [0, 0])) < 1e-12);
        Assert.True(SoftImpute.Threshold(w, 2).MaxAbsDifference(Matrix.FromRows([1, 0], [0, 0], [0, 0])) < 1e-12);
        Assert.True(SoftImpute.Threshold(w.Transpose(), 2).MaxAbsDifference(Matrix.FromRows([1, 0, 0], [0, 0, 0])) < 1e-12);
        Assert.Equal(0, SoftImpute.Threshold(w, 5).FrobeniusNorm());
    }

    [Fact]
    public void ThresholdOfARotatedMatrixKeepsItsSingularVectors()
    {
        // W = Q·diag(4, 2)·Rᵀ with rotations Q, R: S_1(W) = Q·diag(3, 1)·Rᵀ.
        double a = 0.3, b = -1.1;
        var q = Matrix.FromRows([Math.Cos(a), -Math.Sin(a)], [Math.Sin(a), Math.Cos(a)]);
        var r = Matrix.FromRows([Math.Cos(b), -Math.Sin(b)], [Math.Sin(b), Math.Cos(b)]);
        Matrix Make(double s1, double s2) => LinearAlgebra.Multiply(LinearAlgebra.Multiply(q, Matrix.FromRows([s1, 0], [0, s2])), r, Op.None, Op.Transpose);
        Assert.True(SoftImpute.Threshold(Make(4, 2), 1).MaxAbsDifference(Make(3, 1)) < 1e-12);
    }

    [Fact]
    public void RankOneMatrixIsRecoveredAtTheEndOfALongPath()
    {
        // Noiseless rank 1: the held-out error keeps falling with λ, the smallest λ is chosen, and its bias is tiny.
        var truth = CompletionTestData.LowRank(12, 10, 1, seed: 21);
        var data = new IncompleteMatrix(truth, CompletionTestData.Mask(12, 10, 0.6, 22));
        var result = new SoftImpute { PathLength = 25, LambdaMinRatio = 1e-5, MaxIterations = 5000, Tolerance = 1e-12, Seed = 1 }.Complete(data);
        Assert.True(result.MissingRmse(truth) < 1e-3, $"RMSE {result.MissingRmse(truth)}, λ = {result.Lambda}");
    }

    [Fact]
    public void TinyFixedLambdaIsReachedDownThePathBecauseFromZeroNothingMoves()
    {
        // At λ = 0 the step P_Ω(X) + P_Ω⊥(Z) has the zero fill as a fixed point; the warm-started path finds the rank-1 matrix.
        var truth = CompletionTestData.LowRank(12, 10, 1, seed: 21);
        var data = new IncompleteMatrix(truth, CompletionTestData.Mask(12, 10, 0.6, 22));
        var soft = new SoftImpute { Lambda = 1e-6, PathLength = 25, LambdaMinRatio = 1e-5, MaxIterations = 5000, Tolerance = 1e-12 };
        var (cold, _) = soft.Fit(data, 0, null, LinearAlgebra.Provider, CancellationToken.None);
        Assert.Equal(0, Enumerable.Range(0, 120).Where(k => !data.IsObserved(k / 10, k % 10)).Max(k => Math.Abs(cold.Data[k])), 9);
        var result = soft.Complete(data);
        Assert.True(result.MissingRmse(truth) < 1e-3, $"RMSE {result.MissingRmse(truth)}");
        Assert.Equal(1e-6, result.Lambda);
    }

    [Fact]
    public void HeldOutChoiceWalksThePathAndRecordsIt()
    {
        var truth = CompletionTestData.LowRank(30, 25, 2, seed: 23);
        var data = new IncompleteMatrix(truth, CompletionTestData.Mask(30, 25, 0.5, 24));
        var result = new SoftImpute { PathLength = 8, Seed = 3 }.Complete(data);
        Assert.Equal(8, result.LambdaPath.Count);
        Assert.True(result.LambdaPath.Zip(result.LambdaPath.Skip(1)).All(p => p.First.Lambda > p.Second.Lambda));
        Assert.Equal(0, result.LambdaPath[0].Rank);   // λ_max: everything thresholded away
        var best = result.LambdaPath.MinBy(p => p.ValidationRmse)!;
        Assert.Equal(best.Lambda, result.Lambda);
        Assert.True(result.MissingRmse(truth) < 0.2, $"RMSE {result.MissingRmse(truth)}");
    }

    [Fact]
    public void ObservedEntriesAreKeptExactly()
    {
        var truth = CompletionTestData.LowRank(8, 8, 2, seed: 25);
        var data = new IncompleteMatrix(truth, CompletionTestData.Mask(8, 8, 0.5, 26));
        var done = new SoftImpute { Lambda = 0.5 }.Complete(data).Completed;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
                if (data.IsObserved(i, j)) Assert.Equal(truth[i, j], done[i, j]);
    }

    [Fact]
    public void RowOrColumnWithoutObservedEntryIsNamed()
    {
        var row = Matrix.FromRows([1, 2], [double.NaN, double.NaN]);
        Assert.StartsWith("Row 2 has no observed entry", Assert.Throws<ArgumentException>(() => new SoftImpute { Lambda = 0.1 }.Complete(IncompleteMatrix.FromNaN(row))).Message);
        var col = Matrix.FromRows([1, double.NaN], [2, double.NaN]);
        Assert.StartsWith("Column 2 has no observed entry", Assert.Throws<ArgumentException>(() => new SoftImpute { Lambda = 0.1 }.Complete(IncompleteMatrix.FromNaN(col))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftImpute { Lambda = -1 }.Complete(IncompleteMatrix.FromNaN(Matrix.FromRows([1, 2]))));
    }

    [SkippableFact]
    public void IterationAgreesWithNumpysSvdImplementation()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var truth = CompletionTestData.LowRank(20, 15, 3, seed: 27);
        var mask = CompletionTestData.Mask(20, 15, 0.5, 28);
        var data = new IncompleteMatrix(truth, mask);
        var (z, steps) = new SoftImpute { MaxIterations = 40, Tolerance = 1e-300 }.Fit(data, 0.7, null, LinearAlgebra.Provider, CancellationToken.None);
        Assert.Equal(40, steps);
        var theirs = Python.Evaluate("""
            X, W = M['x'], M['m']
            Z = np.zeros_like(X)
            for _ in range(40):
                U, s, Vt = np.linalg.svd(W * X + (1 - W) * Z, full_matrices=False)
                Z = (U * np.maximum(s - 0.7, 0)) @ Vt
            emit(W * X + (1 - W) * Z)
            """, Python.Encode(("x", truth), ("m", mask)));
        double diff = data.Merge(z).MaxAbsDifference(theirs);
        Assert.True(diff < 1e-9, diff.ToString(CultureInfo.InvariantCulture));
    }
}
