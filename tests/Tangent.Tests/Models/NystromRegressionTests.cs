using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

public sealed class NystromRegressionTests
{
    private static (Matrix X, Matrix Y) Smooth(int n, int seed)
    {
        var x = TestData.Random(n, 2, seed);
        var y = Matrix.Build(n, 2, (i, j) => j == 0 ? Math.Sin(x[i, 0]) + Math.Cos(x[i, 1]) : x[i, 0] * x[i, 1]);
        return (x, y);
    }

    [Theory]
    [InlineData(1L << 30, null)]
    [InlineData(0L, 37)]
    public void WithEveryPointACentreItIsExactKernelRidgeRegression(long cacheBytes, int? blockRows)
    {
        var (x, y) = Smooth(200, 1);
        var xs = TestData.Random(20, 2, 2);
        var kernel = ClassicalKernel.Gaussian(0.5);
        var exact = new KernelRegression(kernel) { Ridge = Ridge.Absolute(1e-2) }.Fit(x, y).Predict(xs);
        var nys = new NystromRegression(kernel) { Centres = 200, Ridge = Ridge.Absolute(1e-2), Tolerance = 1e-12, CacheBytes = cacheBytes, BlockRows = blockRows }.Fit(x, y);
        Assert.True(nys.Solve.Converged, nys.Solve.Summary);
        Assert.Equal(200, nys.CentreCount);
        Assert.True(nys.Predict(xs).MaxAbsDifference(exact) < 1e-6, $"max difference {nys.Predict(xs).MaxAbsDifference(exact)}");
    }

    [Fact]
    public void WithFewCentresOnASmoothProblemItIsCloseToTheExactSolution()
    {
        var (x, y) = Smooth(2000, 3);
        var xs = TestData.Random(200, 2, 4);
        var kernel = ClassicalKernel.Gaussian(0.3);
        var ridge = Ridge.Absolute(1e-1);
        var exact = new KernelRegression(kernel) { Ridge = ridge }.Fit(x, y).Predict(xs);
        var nys = new NystromRegression(kernel) { Centres = 150, Ridge = ridge, Seed = 5, BlockRows = 300 }.Fit(x, y);
        var pred = nys.Predict(xs);
        double rel = TestData.RelativeError(pred, exact);
        Assert.True(rel < 1e-2, $"relative error {rel}");
        Assert.True(nys.Solve.Converged, nys.Solve.Summary);
        Assert.True(nys.Solve.Iterations < 60, nys.Solve.Summary);   // the Falkon preconditioner keeps it short
    }

    [Fact]
    public void TheIterationLogAndProgressFollowEveryIteration()
    {
        var (x, y) = Smooth(300, 6);
        var seen = new List<ConjugateGradientIteration>();
        var progress = new List<Tangent.Engine.ProgressInfo>();
        var sink = new SyncProgress(progress);
        var nys = new NystromRegression(ClassicalKernel.Laplace(0.5)) { Centres = 50, Ridge = Ridge.Relative(1e-3), OnIteration = seen.Add }
            .Fit(x, y, new Tangent.Engine.ComputeOptions { Progress = sink });
        Assert.Equal(nys.Solve.Iterations, seen.Count);
        Assert.Equal(nys.Solve.Log, seen);
        Assert.Equal(seen.Count, progress.Count);
        Assert.Equal(seen.Count, progress[^1].Done);
        Assert.True(nys.Ridge > 0);
    }

    [Fact]
    public void AnArchitecturesNtkWorksThroughTheSameBlocks()
    {
        var (x, y) = Smooth(120, 7);
        var kernel = NeuralKernel.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5)", KernelOutputs.Ntk);
        var exact = new KernelRegression(kernel) { Ridge = Ridge.Relative(1e-2) }.Fit(x, y).Predict(x);
        var nys = new NystromRegression(kernel) { Centres = 120, Ridge = Ridge.Relative(1e-2), Tolerance = 1e-12, BlockRows = 25, CacheBytes = 0 }.Fit(x, y);
        Assert.True(nys.Predict(x).MaxAbsDifference(exact) < 1e-6);
    }

    [Fact]
    public void CentresAreDistinctSortedAndFollowTheSeed()
    {
        var a = NystromRegression.ChooseCentres(1000, 50, 3);
        Assert.Equal(50, a.Distinct().Count());
        Assert.Equal(a.Order(), a);
        Assert.Equal(a, NystromRegression.ChooseCentres(1000, 50, 3));
        Assert.NotEqual(a, NystromRegression.ChooseCentres(1000, 50, 4));
        Assert.Equal(Enumerable.Range(0, 10), NystromRegression.ChooseCentres(10, 20, 0));
    }

    [Fact]
    public void IterativeKernelRegressionMatchesCholesky()
    {
        var (x, y) = Smooth(400, 8);
        var xs = TestData.Random(30, 2, 9);
        var kernel = ClassicalKernel.Gaussian(0.5);
        var exact = new KernelRegression(kernel) { Ridge = Ridge.Absolute(1e-3) }.Fit(x, y).Predict(xs);
        var (model, solve) = new IterativeKernelRegression(kernel) { Ridge = Ridge.Absolute(1e-3), Tolerance = 1e-12, PreconditionerRank = 80 }.Fit(x, y);
        Assert.True(solve.Converged, solve.Summary);
        Assert.True(model.Predict(xs).MaxAbsDifference(exact) < 1e-6);
    }

    [Fact]
    public void IterativeKernelRegressionWithEigenProMatchesCholesky()
    {
        var (x, y) = Smooth(300, 11);
        var kernel = ClassicalKernel.Gaussian(0.5);
        var exact = new KernelRegression(kernel) { Ridge = Ridge.Absolute(1e-2) }.Fit(x, y).Predict(x);
        var (model, solve) = new IterativeKernelRegression(kernel) { Ridge = Ridge.Absolute(1e-2), Tolerance = 1e-10, MaxIterations = 5000, Method = IterativeMethod.EigenPro }.Fit(x, y);
        Assert.True(solve.Converged, solve.Summary);
        Assert.True(model.Predict(x).MaxAbsDifference(exact) < 1e-6);
    }

    [Fact]
    public void TheMemoryBudgetBoundsTheCentresAndTheBlocks()
    {
        var (x, y) = Smooth(400, 12);
        var reg = new NystromRegression(ClassicalKernel.Gaussian(0.5)) { Centres = 100, Ridge = Ridge.Absolute(1e-2), Tolerance = 1e-12 };
        var e = Assert.Throws<InsufficientMemoryException>(() => reg.Fit(x, y, new Tangent.Engine.ComputeOptions { MemoryBudget = 100_000 }));
        Assert.Contains("100 centres", e.Message);
        // A budget that holds K_mm but not K_nm whole: streamed blocks, the same answer as cached.
        var small = reg.Fit(x, y, new Tangent.Engine.ComputeOptions { MemoryBudget = 400_000 });
        var cached = reg.Fit(x, y);
        Assert.True(small.Predict(x).MaxAbsDifference(cached.Predict(x)) < 1e-7, $"{small.Predict(x).MaxAbsDifference(cached.Predict(x))}");
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        var (x, y) = Smooth(10, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NystromRegression(ClassicalKernel.Gaussian(1)) { Centres = 0 }.Fit(x, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NystromRegression(ClassicalKernel.Gaussian(1)) { BlockRows = 0 }.Fit(x, y));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IterativeKernelRegression(ClassicalKernel.Gaussian(1)) { PreconditionerRank = -1 }.Fit(x, y));
    }

    private sealed class SyncProgress(List<Tangent.Engine.ProgressInfo> into) : IProgress<Tangent.Engine.ProgressInfo>
    {
        public void Report(Tangent.Engine.ProgressInfo value) => into.Add(value);
    }
}
