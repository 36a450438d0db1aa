using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Svm;

/// <summary>
/// Warm starts of the SMO solver: the interior-point start on low-rank kernels (<see cref="SupportVectorClassifier.LowRankStart"/>)
/// and fits along a grid of C (<see cref="SupportVectorClassifier.FitKernelPath"/>) reach the optimum that a fit from zero reaches.
/// </summary>
public sealed class SupportVectorStartTests
{
    // Overlapping blobs (no separating hyperplane) and their linear kernel X·Xᵀ, of rank d: SMO's worst case at large C.
    private static (Matrix K, int[] Labels, Matrix Test) Linear(int n, int classes, int d, int seed)
    {
        var (x, labels) = SvmTestData.Blobs(n, classes, d, seed, spread: 1.0);
        var (xt, _) = SvmTestData.Blobs(60, classes, d, seed + 1, spread: 1.0);
        return (LinearAlgebra.Multiply(x, x, Op.None, Op.Transpose), labels, LinearAlgebra.Multiply(xt, x, Op.None, Op.Transpose));
    }

    [Fact]
    public void FactorReproducesALowRankKernelAndRefusesAFullRankOne()
    {
        var (k, _, _) = Linear(80, 2, 3, 1);
        int[] all = [.. Enumerable.Range(0, 80)];
        using (var rows = new PrecomputedKernelRows(k, all, k.Diagonal()))
        {
            var z = InteriorPointStart.Factor(rows);
            Assert.NotNull(z);
            Assert.Equal(3, z.GetLength(1));
            double worst = 0;
            for (int i = 0; i < 80; i++)
                for (int j = 0; j < 80; j++)
                {
                    double s = 0;
                    for (int m = 0; m < 3; m++) s += z[i, m] * z[j, m];
                    worst = Math.Max(worst, Math.Abs(s - k[i, j]));
                }
            Assert.True(worst < 1e-9 * k.Diagonal().Max(), $"|ZZᵀ − K| = {worst}");
        }
        var (x, _) = SvmTestData.Blobs(80, 2, 3, 2);
        var gaussian = SvmTestData.Gaussian(x, null, 0.5);
        using var full = new PrecomputedKernelRows(gaussian, all, gaussian.Diagonal());
        Assert.Null(InteriorPointStart.Factor(full, maxRank: 20));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(1000.0)]
    public void SolverFromTheInteriorPointStartMeetsTheKktConditions(double cValue)
    {
        var (k, labels, _) = Linear(200, 2, 4, 3);
        int[] map = [.. Enumerable.Range(0, 200)];
        sbyte[] y = [.. labels.Select(c => c == 0 ? (sbyte)1 : (sbyte)-1)];
        double[] c = [.. labels.Select(l => l == 0 ? cValue : 2 * cValue)];   // per-row bounds, as class weights give
        using var rows = new PrecomputedKernelRows(k, map, k.Diagonal());
        var start = InteriorPointStart.Solve(InteriorPointStart.Factor(rows)!, y, c);
        double balance = 0;
        for (int t = 0; t < 200; t++)
        {
            Assert.InRange(start[t], 0, c[t]);
            balance += y[t] * start[t];
        }
        Assert.True(Math.Abs(balance) <= 1e-9 * cValue, $"yᵀα = {balance}");
        var cold = SmoSolver.Solve(rows, y, c, 1e-6, true, 0, default);
        var warm = SmoSolver.Solve(rows, y, c, 1e-6, true, 0, default, start);
        Assert.True(warm.Converged);
        SvmTestData.AssertOptimal(warm, k, map, y, c, 1e-6);
        Assert.True(Math.Abs(warm.Rho - cold.Rho) < 1e-4 * (1 + Math.Abs(cold.Rho)), $"ρ {warm.Rho} against {cold.Rho} from zero");
        if (cValue >= 1000)
            Assert.True(warm.Iterations * 20 < cold.Iterations, $"{warm.Iterations} steps from the start against {cold.Iterations} from zero");
    }

    [Fact]
    public void LowRankStartGivesTheModelOfAFitFromZero()
    {
        var (k, labels, test) = Linear(240, 3, 4, 5);
        var cold = new SupportVectorClassifier { C = 100, Tolerance = 1e-7 }.FitKernel(k, labels, 3);
        var warm = new SupportVectorClassifier { C = 100, Tolerance = 1e-7, LowRankStart = true }.FitKernel(k, labels, 3);
        Assert.True(warm.Converged);
        var dc = cold.DecisionValuesFromKernel(test);
        var dw = warm.DecisionValuesFromKernel(test);
        // The weight vector w = Σ y·α·x is unique, so the decision values agree to the tolerance although α need not.
        Assert.True(dc.MaxAbsDifference(dw) < 1e-4, $"decision values differ by {dc.MaxAbsDifference(dw)}");
        Assert.Equal(cold.PredictFromKernel(test), warm.PredictFromKernel(test));
        Assert.True(warm.Iterations.Sum() * 20 < cold.Iterations.Sum(), $"{warm.Iterations.Sum()} steps against {cold.Iterations.Sum()}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PathModelsMatchSeparateFits(bool linear)
    {
        Matrix k, test;
        int[] labels;
        if (linear) (k, labels, test) = Linear(180, 3, 3, 7);
        else
        {
            var (x, l) = SvmTestData.Blobs(180, 3, 3, 7, spread: 1.5);
            var (xt, _) = SvmTestData.Blobs(60, 3, 3, 8, spread: 1.5);
            (k, labels, test) = (SvmTestData.Gaussian(x, null, 0.3), l, SvmTestData.Gaussian(xt, x, 0.3));
        }
        double[] cs = [10, 0.1, 1000, 1];   // out of order: the models come back in this order
        var svc = new SupportVectorClassifier { Tolerance = 1e-8, LowRankStart = linear };
        var path = svc.FitKernelPath(k, labels, 3, cs);
        Assert.Equal(cs.Length, path.Length);
        for (int i = 0; i < cs.Length; i++)
        {
            var alone = (svc with { LowRankStart = false, C = cs[i] }).FitKernel(k, labels, 3);
            Assert.True(path[i].Converged);
            double diff = alone.DecisionValuesFromKernel(test).MaxAbsDifference(path[i].DecisionValuesFromKernel(test));
            Assert.True(diff < 1e-4, $"C = {cs[i]}: decision values differ by {diff}");
        }
    }

    [Fact]
    public void FeasibleRestoresTheBoxAndTheBalance()
    {
        sbyte[] y = [1, 1, -1, -1, 1];
        double[] c = [1, 1, 1, 1, 2];
        var a = InteriorPointStart.Feasible([1 + 1e-12, 0.5, -1e-14, 0.3, 0.2000001], y, c);
        Assert.Equal(1, a[0]);
        Assert.Equal(0, a[2]);
        double balance = 0;
        for (int i = 0; i < 5; i++)
        {
            Assert.InRange(a[i], 0, c[i]);
            balance += y[i] * a[i];
        }
        Assert.True(Math.Abs(balance) < 1e-15, $"yᵀα = {balance}");
    }

    [Fact]
    public void PathRefusesBadValuesOfC()
    {
        var (k, labels, _) = Linear(20, 2, 2, 9);
        var svc = new SupportVectorClassifier();
        Assert.Throws<ArgumentException>(() => svc.FitKernelPath(k, labels, 2, []));
        var e = Assert.Throws<ArgumentException>(() => svc.FitKernelPath(k, labels, 2, [1, -1]));
        Assert.Contains("C is -1", e.Message, StringComparison.Ordinal);
    }
}
