using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

public sealed class ConjugateGradientTests
{
    private static Matrix RandomSpd(int n, int seed) => TestData.RandomSpd(n, seed, 0.1);

    private static Matrix Shifted(Matrix k, double lambda)
    {
        var s = k.Clone();
        s.AddToDiagonal(lambda);
        return s;
    }

    [Fact]
    public void CgMatchesCholeskyOnARandomSpdMatrixWithSeveralRightHandSides()
    {
        var a = RandomSpd(500, 1);
        var b = TestData.Random(500, 3, 2);
        var cg = ConjugateGradient.Solve(ConjugateGradient.FromMatrix(a), b, 0, new ConjugateGradientSettings { Tolerance = 1e-12 });
        var exact = Cholesky.Compute(a).Solve(b);
        Assert.True(cg.Converged, cg.Summary);
        Assert.True(TestData.RelativeError(cg.Solution, exact) < 1e-9, $"relative error {TestData.RelativeError(cg.Solution, exact)}");
    }

    [Fact]
    public void TheShiftIsTheRidgeAddedToTheDiagonal()
    {
        var x = TestData.Random(600, 3, 3);
        var k = ClassicalKernel.Gaussian(0.5).Compute(x);
        var b = TestData.Random(600, 2, 4);
        var cg = ConjugateGradient.Solve(ConjugateGradient.FromMatrix(k), b, 0.05, new ConjugateGradientSettings { Tolerance = 1e-12, MaxIterations = 5000 });
        var exact = Cholesky.Compute(Shifted(k, 0.05)).Solve(b);
        Assert.True(cg.Converged, cg.Summary);
        Assert.True(TestData.RelativeError(cg.Solution, exact) < 1e-8);
    }

    [Fact]
    public void TheNystromPreconditionerCutsTheIterationsOnAGaussianKernel()
    {
        const int n = 1500;
        const double lambda = 1e-3;
        var x = TestData.Random(n, 3, 5);
        var k = ClassicalKernel.Gaussian(0.5).Compute(x);
        var b = TestData.Random(n, 2, 6);
        var op = ConjugateGradient.FromMatrix(k);
        var settings = new ConjugateGradientSettings { Tolerance = 1e-10, MaxIterations = 5000 };
        var plain = ConjugateGradient.Solve(op, b, lambda, settings);
        var pre = new NystromPreconditioner(op, n, 200, lambda, seed: 7);
        var fast = ConjugateGradient.Solve(op, b, lambda, settings, pre);
        var exact = Cholesky.Compute(Shifted(k, lambda)).Solve(b);
        Assert.True(fast.Converged, fast.Summary);
        Assert.True(fast.Iterations * 3 < plain.Iterations, $"preconditioned {fast.Iterations}, plain {plain.Iterations}");
        Assert.True(TestData.RelativeError(fast.Solution, exact) < 1e-6, $"relative error {TestData.RelativeError(fast.Solution, exact)}");
    }

    [Fact]
    public void AnExactLowRankSketchMakesCgConvergeInAFewIterations()
    {
        const int n = 400;
        var f = TestData.Random(n, 10, 8);
        var a = LinearAlgebra.Multiply(f, f, transB: Op.Transpose);   // rank 10
        var b = TestData.Random(n, 1, 9);
        var op = ConjugateGradient.FromMatrix(a);
        var pre = new NystromPreconditioner(op, n, 20, 1e-2, seed: 1);
        Assert.Equal(10, pre.Eigenvalues.Count(v => v > 1e-6));
        var r = ConjugateGradient.Solve(op, b, 1e-2, new ConjugateGradientSettings { Tolerance = 1e-10 }, pre);
        Assert.True(r.Converged && r.Iterations <= 3, r.Summary);
    }

    [Fact]
    public void AnOperatorRecomputingKernelRowBlocksNeverFormsTheKernelAndGivesTheSameSolution()
    {
        const int n = 700, block = 64;
        var x = TestData.Random(n, 4, 23);
        var kernel = ClassicalKernel.Gaussian(0.3);
        int products = 0;
        LinearOperator streamed = (v, into) =>
        {
            products++;
            for (int start = 0; start < n; start += block)
            {
                int rows = Math.Min(block, n - start);
                var kb = kernel.Compute(x.SliceRows(start, rows), x);   // rows×n: one block at a time, as from a store
                var part = LinearAlgebra.Multiply(kb, v);
                Array.Copy(part.Data, 0, into.Data, start * v.Cols, part.Data.Length);
            }
        };
        var b = TestData.Random(n, 3, 24);
        var settings = new ConjugateGradientSettings { Tolerance = 1e-10, MaxIterations = 3000 };
        var r = ConjugateGradient.Solve(streamed, b, 1e-2, settings, new NystromPreconditioner(streamed, n, 50, 1e-2));
        var exact = Cholesky.Compute(Shifted(kernel.Compute(x), 1e-2)).Solve(b);
        Assert.True(r.Converged, r.Summary);
        Assert.Equal(r.Iterations + 1, products);   // one product for the sketch, then one per iteration for all 3 columns
        Assert.True(TestData.RelativeError(r.Solution, exact) < 1e-8);
    }

    [Fact]
    public void ManyRightHandSidesSolvedTogetherEqualEachSolvedAlone()
    {
        var a = RandomSpd(200, 10);
        var b = TestData.Random(200, 8, 11);
        var op = ConjugateGradient.FromMatrix(a);
        var settings = new ConjugateGradientSettings { Tolerance = 1e-11 };
        var all = ConjugateGradient.Solve(op, b, 0, settings);
        for (int j = 0; j < 8; j++)
        {
            var one = ConjugateGradient.Solve(op, Matrix.Build(200, 1, (i, _) => b[i, j]), 0, settings);
            for (int i = 0; i < 200; i++) Assert.Equal(one.Solution[i, 0], all.Solution[i, j], 1e-9);
        }
    }

    [Fact]
    public void TheLogHasOneRecordPerIterationEndingBelowTheTolerance()
    {
        var a = RandomSpd(150, 12);
        var b = TestData.Random(150, 2, 13);
        var seen = new List<ConjugateGradientIteration>();
        var r = ConjugateGradient.Solve(ConjugateGradient.FromMatrix(a), b, 0, new ConjugateGradientSettings { Tolerance = 1e-9, OnIteration = seen.Add });
        Assert.Equal(r.Iterations, r.Log.Count);
        Assert.Equal(r.Log, seen);
        Assert.Equal(Enumerable.Range(1, r.Iterations), r.Log.Select(l => l.Iteration));
        Assert.True(r.Log[^1].MaxRelativeResidual <= 1e-9);
        Assert.Equal(2, r.Log[^1].Converged);
        Assert.True(r.Log[0].MaxRelativeResidual > 1e-9);
        // The recurrence residual agrees with the true residual of the returned solution.
        var res = LinearAlgebra.Multiply(a, r.Solution);
        for (int i = 0; i < res.Data.Length; i++) res.Data[i] = b.Data[i] - res.Data[i];
        var rel = ConjugateGradient.ColumnNorms(res).Zip(ConjugateGradient.ColumnNorms(b), (u, v) => u / v);
        Assert.All(rel, v => Assert.True(v < 1e-8));
    }

    [Fact]
    public void TheIterationLimitStopsWithoutConvergence()
    {
        var x = TestData.Random(300, 2, 14);
        var k = ClassicalKernel.Gaussian(1).Compute(x);
        var r = ConjugateGradient.Solve(ConjugateGradient.FromMatrix(k), TestData.Random(300, 1, 15), 1e-8, new ConjugateGradientSettings { Tolerance = 1e-12, MaxIterations = 5 });
        Assert.False(r.Converged);
        Assert.Equal(5, r.Iterations);
        Assert.Contains("NOT converged", r.Summary);
    }

    [Fact]
    public void AZeroRightHandSideGivesAZeroColumnAtNoCost()
    {
        var a = RandomSpd(50, 16);
        var b = new Matrix(50, 2);
        var r = ConjugateGradient.Solve(ConjugateGradient.FromMatrix(a), b);
        Assert.True(r.Converged);
        Assert.Equal(0, r.Iterations);
        Assert.All(r.Solution.Data, v => Assert.Equal(0, v));
    }

    [Fact]
    public void CancellationStopsTheIteration()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var a = RandomSpd(50, 17);
        Assert.Throws<OperationCanceledException>(() =>
            ConjugateGradient.Solve(ConjugateGradient.FromMatrix(a), TestData.Random(50, 1, 18), 0, new ConjugateGradientSettings { CancellationToken = cts.Token }));
    }

    [Fact]
    public void AnIndefiniteOperatorIsRefusedWithAHint()
    {
        var a = Matrix.Build(3, 3, (i, j) => i == j ? (i == 1 ? -1.0 : 1.0) : 0.0);
        var e = Assert.Throws<NotPositiveDefiniteException>(() => ConjugateGradient.Solve(ConjugateGradient.FromMatrix(a), Matrix.Column(0, 1, 0)));
        Assert.Contains("ridge", e.Message);
        Assert.Equal(1e-6, e.SuggestedRidge, 1e-12);   // 10⁻⁶ × ‖A·p‖/‖p‖ along the offending direction
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        var a = ConjugateGradient.FromMatrix(RandomSpd(5, 19));
        var b = TestData.Random(5, 1, 20);
        Assert.Throws<ArgumentOutOfRangeException>(() => ConjugateGradient.Solve(a, b, 0, new ConjugateGradientSettings { Tolerance = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConjugateGradient.Solve(a, b, 0, new ConjugateGradientSettings { MaxIterations = 0 }));
        Assert.Throws<ArgumentException>(() => ConjugateGradient.Solve(a, b, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NystromPreconditioner(a, 5, 6, 0));
    }
}

public sealed class PreconditionedRichardsonTests
{
    [Fact]
    public void EigenProIterationConvergesToTheCholeskySolutionAndNeedsTheEigenDirectionsDamped()
    {
        const int n = 500;
        const double lambda = 1e-2;
        var x = TestData.Random(n, 2, 21);
        var k = ClassicalKernel.Gaussian(0.5).Compute(x);
        var b = TestData.Random(n, 2, 22);
        var op = ConjugateGradient.FromMatrix(k);
        var settings = new ConjugateGradientSettings { Tolerance = 1e-8, MaxIterations = 3000 };
        var pre = new NystromPreconditioner(op, n, 100, lambda, seed: 3);
        var eigenPro = PreconditionedRichardson.Solve(op, b, lambda, settings, pre);
        var plain = PreconditionedRichardson.Solve(op, b, lambda, settings);
        var shifted = k.Clone();
        shifted.AddToDiagonal(lambda);
        var exact = Cholesky.Compute(shifted).Solve(b);
        Assert.True(eigenPro.Converged, eigenPro.Summary);
        Assert.True(TestData.RelativeError(eigenPro.Solution, exact) < 1e-5);
        Assert.False(plain.Converged);   // plain Richardson: step 1/λ₁, rate 1 − λ/λ₁, far too slow
        Assert.Equal(eigenPro.Iterations, eigenPro.Log.Count);
    }
}
