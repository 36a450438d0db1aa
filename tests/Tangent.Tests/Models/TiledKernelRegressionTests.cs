using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary>Above <see cref="KernelRegression.TileSize"/> training rows the exact solve factors the kernel's tiles in place.</summary>
public sealed class TiledKernelRegressionTests
{
    public static TheoryData<string> Kernels => ["gaussian", "ntk"];

    private static IKernel Kernel(string name) => name == "gaussian"
        ? ClassicalKernel.Gaussian(0.3)
        : NeuralKernel.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5)", KernelOutputs.Ntk);

    [Theory]
    [MemberData(nameof(Kernels))]
    public void TheTiledSolveGivesTheDenseSolvesPredictions(string name)
    {
        var x = TestData.Random(110, 4, 1);
        var y = TestData.Random(110, 2, 2);
        var xs = TestData.Random(23, 4, 3);
        var kernel = Kernel(name);
        var dense = new KernelRegression(kernel) { Ridge = Ridge.Relative(1e-3) }.Fit(x, y);
        var tiled = new KernelRegression(kernel) { Ridge = Ridge.Relative(1e-3), TileSize = 16 }.Fit(x, y);
        Assert.Equal(dense.Ridge, tiled.Ridge, 1e-15);
        Assert.True(TestData.RelativeError(tiled.Coefficients, dense.Coefficients) < 1e-9, $"relative error {TestData.RelativeError(tiled.Coefficients, dense.Coefficients)}");
        Assert.True(TestData.RelativeError(tiled.Predict(xs), dense.Predict(xs)) < 1e-10);
    }

    [Fact]
    public void ASingularKernelWithoutRidgeFallsBackToTheMinimumNormSolutionUnderAuto()
    {
        var x = TestData.Random(40, 3, 4);
        for (int j = 0; j < 3; j++) x[39, j] = x[5, j];   // a duplicated input makes K singular
        var y = TestData.Random(40, 1, 5);
        var xs = TestData.Random(9, 3, 6);
        var kernel = ClassicalKernel.Laplace(0.5);
        var pinv = new KernelRegression(kernel) { Solver = Solver.PseudoInverse }.Fit(x, y);
        var tiled = new KernelRegression(kernel) { TileSize = 8 }.Fit(x, y);
        Assert.True(TestData.RelativeError(tiled.Predict(xs), pinv.Predict(xs)) < 1e-8);
    }

    [Fact]
    public void AnIndefiniteKernelIsRefusedByCholeskyAndSolvedByThePseudoinverseUnderAuto()
    {
        var x = TestData.Random(30, 3, 12);
        var y = TestData.Random(30, 1, 13);
        var kernel = new Negated(ClassicalKernel.Gaussian(0.5));
        var e = Assert.Throws<NotPositiveDefiniteException>(() => new KernelRegression(kernel) { TileSize = 8, Solver = Solver.Cholesky }.Fit(x, y));
        Assert.Equal(1, e.Pivot);
        var auto = new KernelRegression(kernel) { TileSize = 8 }.Fit(x, y);
        var pinv = new KernelRegression(kernel) { Solver = Solver.PseudoInverse }.Fit(x, y);
        Assert.True(TestData.RelativeError(auto.Coefficients, pinv.Coefficients) < 1e-10);
    }

    /// <summary>−k: negative definite, so Cholesky fails at the first pivot.</summary>
    private sealed class Negated(IKernel inner) : IKernel
    {
        public Matrix Compute(Matrix x1, Matrix? x2 = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
        {
            var k = inner.Compute(x1, x2, progress, cancellationToken);
            for (int i = 0; i < k.Data.Length; i++) k.Data[i] = -k.Data[i];
            return k;
        }

        public double[] Diagonal(Matrix x) => [.. inner.Diagonal(x).Select(d => -d)];

        public string Describe() => "-" + inner.Describe();
    }

    [Fact]
    public void PredictionsInBlocksOfTestRowsEqualTheWholeProduct()
    {
        var x = TestData.Random(50, 3, 7);
        var a = TestData.Random(50, 2, 8);
        var xs = TestData.Random(37, 3, 9);
        var kernel = Kernel("ntk");
        var whole = LinearAlgebra.Multiply(kernel.Compute(xs, x), a);
        foreach (int rows in new[] { 1, 5, 36, 37, 100 })
        {
            var blocked = KernelTiles.MultiplyTestTrain(kernel, xs, x, a, ComputeOptions.Default, rows);
            Assert.True(blocked.MaxAbsDifference(whole) <= 1e-12 * whole.FrobeniusNorm(), $"{rows} rows per block");
        }
    }

    [Fact]
    public void TheBlockSizeFollowsTheMemoryBudget()
    {
        Assert.Equal(1000, KernelTiles.TestBlockRows(100, new ComputeOptions { MemoryBudget = 8L * 8 * 100 * 1000 }));
        Assert.Equal(1, KernelTiles.TestBlockRows(1_000_000, new ComputeOptions { MemoryBudget = 1000 }));
        Assert.Equal((int)(KernelTiles.DefaultBlockBytes / (8 * 60_000)), KernelTiles.TestBlockRows(60_000, ComputeOptions.Default));
    }

    [Fact]
    public void TheKernelTilesHoldTheKernelMatrix()
    {
        var x = TestData.Random(45, 3, 10);
        var kernel = Kernel("ntk");
        var tiles = KernelTiles.Compute(kernel, x, ComputeOptions.Default, 10);
        Assert.True(tiles.ToMatrix().MaxAbsDifference(kernel.Compute(x)) <= 1e-13 * kernel.Compute(x).FrobeniusNorm());
        var gaussian = ClassicalKernel.Gaussian(0.4);
        Assert.Equal(0, KernelTiles.Compute(gaussian, x, ComputeOptions.Default, 7).ToMatrix().MaxAbsDifference(gaussian.Compute(x)));
    }

    [Fact]
    public void ProgressShowsTwoStagesKernelThenFactorEachMonotone()
    {
        var seen = new List<ProgressInfo>();
        var progress = new Synchronous(seen.Add);
        new KernelRegression(Kernel("ntk")) { Ridge = Ridge.Relative(1e-3), TileSize = 16 }
            .Fit(TestData.Random(70, 3, 14), TestData.Random(70, 1, 15), new ComputeOptions { Progress = progress });
        Assert.Equal(["kernel", "factor"], seen.Select(p => p.Stage).Distinct());
        foreach (var stage in new[] { "kernel", "factor" })
        {
            var s = seen.Where(p => p.Stage == stage).ToList();
            for (int i = 1; i < s.Count; i++) Assert.True(s[i].Done >= s[i - 1].Done, stage);
            Assert.Equal(s[^1].Total, s[^1].Done);
        }
    }

    private sealed class Synchronous(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => report(value);
    }

    [Fact]
    public void TilesBeyondTheMemoryBudgetAreRefusedBeforeAnyWork()
    {
        var x = TestData.Random(300, 3, 11);
        var e = Assert.Throws<InsufficientMemoryException>(() =>
            KernelTiles.Compute(ClassicalKernel.Gaussian(0.4), x, new ComputeOptions { MemoryBudget = 100_000 }, 64));
        Assert.Contains("--solver cg", e.Message, StringComparison.Ordinal);
    }
}
