using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Svm;

/// <summary>Properties of the support-vector classifier that hold without a reference implementation.</summary>
public sealed class SupportVectorClassifierTests
{
    [Fact]
    public void TwoPointProblemHasTheAnalyticSolution()
    {
        // x = ±1 with the linear kernel: the margin is 1, α = ½ for each point when C ≥ ½, else α = C (both bounded, ρ = 0).
        var k = Matrix.FromRows([1.0, -1.0], [-1.0, 1.0]);
        var model = new SupportVectorClassifier { Tolerance = 1e-12 }.FitKernel(k, [0, 1], 2);
        Assert.Equal([0, 1], model.SupportIndices);
        Assert.Equal(-0.5, model.DualCoefficients[0, 0], 12);   // scikit-learn's sign for two classes: y = +1 for class 1
        Assert.Equal(0.5, model.DualCoefficients[0, 1], 12);
        Assert.Equal(0, model.Intercepts[0], 12);
        var test = Matrix.FromRows([2.0, -2.0], [-0.5, 0.5]);   // K(x, ±1) for x = 2 and x = −0.5
        var decision = model.DecisionValuesFromKernel(test);
        Assert.Equal(-2, decision[0, 0], 12);
        Assert.Equal(0.5, decision[1, 0], 12);
        Assert.Equal([0, 1], model.PredictFromKernel(test));
        var bounded = new SupportVectorClassifier { C = 0.1, Tolerance = 1e-12 }.FitKernel(k, [0, 1], 2);
        Assert.Equal(-0.1, bounded.DualCoefficients[0, 0], 12);
        Assert.Equal(0, bounded.Intercepts[0], 12);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void KktConditionsHoldAtTheSolution(bool shrinking, bool indefinite)
    {
        var (x, labels) = SvmTestData.Blobs(300, 3, 4, 11, spread: 1.0);
        var k = indefinite ? SvmTestData.Sigmoid(x, x, 0.2, -0.5) : SvmTestData.Gaussian(x, null, 0.3);
        // The sub-problem of classes 0 and 2 through a small cache (rows gathered and evicted), with per-row bounds.
        int[] map = [.. Enumerable.Range(0, 300).Where(i => labels[i] != 1)];
        sbyte[] y = [.. map.Select(i => labels[i] == 0 ? (sbyte)1 : (sbyte)-1)];
        double[] c = [.. map.Select(i => labels[i] == 0 ? 5.0 : 2.0)];
        const double eps = 1e-6;
        using var rows = CachedKernelRows.Gathered(k, map, k.Diagonal(), 8L * map.Length * 20);
        var result = SmoSolver.Solve(rows, y, c, eps, shrinking, 0, default);
        Assert.True(result.Converged);
        if (!indefinite) Assert.True(result.Iterations > map.Length, "enough steps for shrinking to matter");
        SvmTestData.AssertOptimal(result, k, map, y, c, eps);
    }

    [Fact]
    public void PermutingTrainingRowsGivesTheSameModel()
    {
        var (x, labels) = SvmTestData.Blobs(150, 3, 3, 12, spread: 1.5);
        var (xt, _) = SvmTestData.Blobs(30, 3, 3, 13, spread: 1.5);
        var k = SvmTestData.Gaussian(x, null);
        var kt = SvmTestData.Gaussian(xt, x);
        var svc = new SupportVectorClassifier { C = 4, Tolerance = 1e-10 };
        var model = svc.FitKernel(k, labels, 3);
        var order = Enumerable.Range(0, 150).OrderBy(i => (i * 7919) % 151).ToArray();
        var permuted = svc.FitKernel(SvmTestData.Permute(k, order, order), [.. order.Select(i => labels[i])], 3);
        var ktp = SvmTestData.Permute(kt, [.. Enumerable.Range(0, 30)], order);
        Assert.True(model.DecisionValuesFromKernel(kt).MaxAbsDifference(permuted.DecisionValuesFromKernel(ktp)) < 1e-7);
        for (int p = 0; p < 3; p++) Assert.Equal(model.Intercepts[p], permuted.Intercepts[p], 7);
        var dense = Dense(model);
        var densePermuted = Dense(permuted);
        for (int r = 0; r < dense.Rows; r++)
            for (int i = 0; i < 150; i++) Assert.Equal(dense[r, order[i]], densePermuted[r, i], 7);
    }

    [Fact]
    public void ShrinkingOnAndOffGiveTheSameSolution()
    {
        var (x, labels) = SvmTestData.Blobs(400, 2, 5, 14, spread: 0.8);
        var k = SvmTestData.Gaussian(x, null, 0.5);
        var on = new SupportVectorClassifier { C = 50, Tolerance = 1e-9 }.FitKernel(k, labels, 2);
        var off = new SupportVectorClassifier { C = 50, Tolerance = 1e-9, Shrinking = false }.FitKernel(k, labels, 2);
        Assert.True(on.Iterations[0] > 1000, "shrinking ran at least once");
        Assert.True(Dense(on).MaxAbsDifference(Dense(off)) < 1e-6 * 50);
        Assert.Equal(on.Intercepts[0], off.Intercepts[0], 6);
        Assert.Equal(on.PredictFromKernel(k), off.PredictFromKernel(k));
    }

    [Theory]
    [InlineData(MultiClassStrategy.OneVsOne, 2)]
    [InlineData(MultiClassStrategy.OneVsOne, 3)]
    [InlineData(MultiClassStrategy.OneVsRest, 3)]
    public void KernelPathEqualsPrecomputedPath(MultiClassStrategy strategy, int classes)
    {
        var (x, labels) = SvmTestData.Blobs(200, classes, 3, 15, spread: 1.5);
        var (xt, _) = SvmTestData.Blobs(25, classes, 3, 16, spread: 1.5);
        var kernel = ClassicalKernel.Gaussian(0.2);
        var svc = new SupportVectorClassifier { C = 3, Tolerance = 1e-10, MultiClass = strategy };
        var precomputed = svc.FitKernel(kernel.Compute(x), labels, classes);
        var kt = kernel.Compute(xt, x);
        // A cache of a few rows: most rows are computed more than once.
        foreach (double megabytes in new[] { 200, 0.01 })
        {
            var computed = (svc with { CacheMegabytes = megabytes }).Fit(kernel, x, labels, classes);
            Assert.Equal(precomputed.SupportIndices, computed.SupportIndices);
            Assert.True(Dense(precomputed).MaxAbsDifference(Dense(computed)) < 1e-7, $"cache {megabytes} MB");
            var decision = computed.DecisionValues(xt);
            Assert.True(decision.MaxAbsDifference(precomputed.DecisionValuesFromKernel(kt)) < 1e-7);
            Assert.True(decision.MaxAbsDifference(computed.DecisionValuesFromKernel(kt)) < 1e-10);
            Assert.Equal(precomputed.PredictFromKernel(kt), computed.Predict(xt));
            Assert.Same(kernel, computed.Kernel);
        }
    }

    [Theory]
    [InlineData(MultiClassStrategy.OneVsOne)]
    [InlineData(MultiClassStrategy.OneVsRest)]
    public void ClassAbsentFromTrainingIsNeverPredicted(MultiClassStrategy strategy)
    {
        // Classes 0, 1 and 3 of 4; the test points come from all four blobs, class 2's too.
        var (x, labels) = SvmTestData.Blobs(120, 4, 2, 17, classes: [0, 1, 3]);
        var (xt, truth) = SvmTestData.Blobs(200, 4, 2, 17);
        var model = new SupportVectorClassifier { MultiClass = strategy }.FitKernel(SvmTestData.Gaussian(x, null), labels, 4);
        Assert.Equal([0, 1, 3], model.PresentClasses);
        Assert.Contains(2, truth);
        var predicted = model.PredictFromKernel(SvmTestData.Gaussian(xt, x));
        Assert.DoesNotContain(2, predicted);
        Assert.Equal(3, predicted.Distinct().Count());
        if (strategy == MultiClassStrategy.OneVsOne)
        {
            Assert.Equal(2, model.DualCoefficients.Rows);
            Assert.Equal([(0, 1), (0, 3), (1, 3)], model.Pairs);
        }
        else
        {
            Assert.Equal(double.NegativeInfinity, model.Intercepts[2]);
            Assert.All(Enumerable.Range(0, model.SupportIndices.Count), s => Assert.Equal(0, model.DualCoefficients[2, s]));
        }
    }

    [Fact]
    public void ResultsAreDeterministicAcrossThreadCounts()
    {
        var (x, labels) = SvmTestData.Blobs(240, 4, 3, 18, spread: 1.2);
        var svc = new SupportVectorClassifier { C = 2, CacheMegabytes = 0.05 };
        var one = svc.Fit(ClassicalKernel.Gaussian(0.3), x, labels, 4, new ComputeOptions { MaxThreads = 1 });
        var three = svc.Fit(ClassicalKernel.Gaussian(0.3), x, labels, 4, new ComputeOptions { MaxThreads = 3 });
        Assert.Equal(one.SupportIndices, three.SupportIndices);
        Assert.Equal(one.DualCoefficients.Data, three.DualCoefficients.Data);
        Assert.Equal(one.Intercepts, three.Intercepts);
        Assert.Equal(one.Iterations, three.Iterations);
    }

    [Fact]
    public void IterationLimitIsReportedOnTheModel()
    {
        var (x, labels) = SvmTestData.Blobs(100, 3, 3, 19, spread: 0.5);
        var k = SvmTestData.Gaussian(x, null);
        var stopped = new SupportVectorClassifier { C = 100, MaxIterations = 5 }.FitKernel(k, labels, 3);
        Assert.False(stopped.Converged);
        Assert.All(stopped.Iterations, i => Assert.InRange(i, 1, 5));
        Assert.Contains(5, stopped.Iterations);
        Assert.Equal(100, stopped.PredictFromKernel(k).Length);
        var full = new SupportVectorClassifier { C = 100 }.FitKernel(k, labels, 3);
        Assert.True(full.Converged);
        Assert.True(full.Iterations.Max() > 5);
    }

    [Fact]
    public void CacheKeepsTheMostRecentRowsAndComputesMissesInBlocks()
    {
        var k = Matrix.Build(10, 10, (i, j) => 100 * i + j);
        var blocks = new List<int[]>();
        using var rows = new CachedKernelRows(10, new double[10], 8L * 10 * 4, (ids, dest) =>
        {
            blocks.Add(ids);
            for (int r = 0; r < ids.Length; r++) k.Row(ids[r]).CopyTo(dest.Slice(r * 10, 10));
        });
        Assert.Equal(4, rows.Slots);
        foreach (int i in new[] { 0, 1, 2, 3, 0, 4 }) Assert.Equal(100.0 * i + 7, Row(rows, i, 7));   // 4 evicts 1, the least recently used
        Assert.Equal(5, rows.Misses);
        Assert.Equal(0.0 + 9, Row(rows, 0, 9));
        Assert.Equal(5, rows.Misses);
        Assert.Equal(109.0, Row(rows, 1, 9));
        Assert.Equal(6, rows.Misses);
        rows.Prefetch([5, 6, 1]);   // one block of the missing rows, at most Slots − 2 of them
        Assert.Equal([5, 6], blocks[^1]);
        Assert.Equal(508.0, Row(rows, 5, 8));
        Assert.Equal(608.0, Row(rows, 6, 8));
        Assert.Equal(8, rows.Misses);
    }

    [Fact]
    public void KernelRowsAreComputedInBlocksWithTheSameSolution()
    {
        var (x, labels) = SvmTestData.Blobs(200, 2, 3, 20, spread: 1.0);
        var k = SvmTestData.Gaussian(x, null);
        sbyte[] y = [.. labels.Select(c => c == 0 ? (sbyte)1 : (sbyte)-1)];
        double[] c = [.. labels.Select(_ => 4.0)];
        (SmoResult Result, int Calls, int Rows) Run(bool blocks)
        {
            int calls = 0, rowCount = 0;
            using var rows = new CachedKernelRows(200, k.Diagonal(), 8L * 200 * 40, (ids, dest) =>
            {
                calls++;
                rowCount += ids.Length;
                for (int r = 0; r < ids.Length; r++) k.Row(ids[r]).CopyTo(dest.Slice(r * 200, 200));
            })
            { ComputesInBlocks = blocks };
            return (SmoSolver.Solve(rows, y, c, 1e-8, true, 0, default), calls, rowCount);
        }
        var single = Run(false);
        var blocked = Run(true);
        Assert.Equal(single.Calls, single.Rows);
        Assert.True(blocked.Rows > blocked.Calls, "several rows per kernel call");
        Assert.True(blocked.Calls < single.Calls, $"{blocked.Calls} calls in blocks against {single.Calls} one row at a time");
        Assert.Equal(single.Result.Alpha, blocked.Result.Alpha);
        Assert.Equal(single.Result.Rho, blocked.Result.Rho);
    }

    private static unsafe double Row(KernelRows rows, int i, int column) => rows.Row(i)[column];

    // Dual coefficients over all training rows (zeros off the support).
    private static Matrix Dense(SupportVectorModel model)
    {
        var dual = model.DualCoefficients;
        var d = new Matrix(dual.Rows, model.TrainingRows);
        for (int r = 0; r < dual.Rows; r++)
            for (int s = 0; s < model.SupportIndices.Count; s++) d[r, model.SupportIndices[s]] = dual[r, s];
        return d;
    }
}
