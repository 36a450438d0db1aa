using Orleans.TestingHost;
using Tangent.Cluster;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;
using static Tangent.Tests.Cluster.ClusterTestHelpers;

namespace Tangent.Tests.Cluster;

/// <summary>The distributed kernel operator (row blocks on the silos) and conjugate gradient on it, against one process.</summary>
[Collection(nameof(ClusterCollection))]
public class ClusterKernelOperatorTests(ClusterFixture fixture)
{
    private static readonly IKernel DenseNtk = new NeuralKernel(Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5)"), KernelOutputs.Ntk);

    private static readonly IKernel Gaussian = new ClassicalKernel(KernelKind.Gaussian, 0.7);

    private static readonly IKernel ConvNtk = new NeuralKernel(Architecture.Parse("conv(size=3,w=1.5,b=0.2) relu flatten dense(w=1.5)").WithInputShape(new ImageShape(3, 3, 2)), KernelOutputs.Ntk);

    public static TheoryData<string, int> Kernels => new() { { "ntk", 7 }, { "gaussian", 5 }, { "ntk", 64 }, { "conv", 9 } };

    private static (IKernel Kernel, int Features) Named(string name) => name switch
    {
        "ntk" => (DenseNtk, 5),
        "conv" => (ConvNtk, 18),
        _ => (Gaussian, 5),
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public async Task ProductIsTheBlockwiseProductOfOneProcessBitForBitAndKTimesVToRoundOff(string name, int blockRows)
    {
        var (kernel, d) = Named(name);
        var x = Inputs(41, d, 1);
        var v = Inputs(41, 3, 2);
        await using var op = new ClusterKernelOperator(fixture.Cluster.Client, kernel, x, blockRows);
        await op.LoadAsync();
        var got = new Matrix(41, 3);
        await Task.Run(() => op.Multiply(v, got));
        Assert.Equal(Blockwise(kernel, x, v, op), got.Data);
        // Against K·V with K computed whole (symmetric, by halves): the entries below the diagonal come from K(xⱼ, xᵢ), so round-off differs.
        var whole = LinearAlgebra.Multiply(kernel.Compute(x, null, ComputeOptions.Default), v);
        Assert.True(RelativeDifference(whole, got) <= 1e-12, $"relative difference {RelativeDifference(whole, got):G3}");
        Assert.Equal((41 + Math.Min(blockRows, 41) - 1) / Math.Min(blockRows, 41), op.Blocks.Count);
        Assert.Equal(op.Blocks.Count, op.Loads);
        Assert.Equal(0, op.Reloads);
        Assert.Equal(1, op.Products);
        // A second product with other vectors reuses the loaded blocks, and is deterministic.
        var w = Inputs(41, 1, 3);
        var into = new Matrix(41, 1);
        await op.MultiplyAsync(w, into);
        Assert.Equal(Blockwise(kernel, x, w, op), into.Data);
        await op.MultiplyAsync(v, got);
        Assert.Equal(Blockwise(kernel, x, v, op), got.Data);
        Assert.Equal(op.Blocks.Count, op.Loads);
        Assert.Equal(3, op.Products);
        var diagonal = kernel.Compute(x, null, ComputeOptions.Default).Diagonal();
        Assert.Equal(diagonal.Sum(), op.Trace(), 1e-12 * diagonal.Sum());
    }

    /// <summary>What the silos compute, in one process: each block's rows K(X_b, X)·V, in block order.</summary>
    private static double[] Blockwise(IKernel kernel, Matrix x, Matrix v, ClusterKernelOperator op) =>
        op.Blocks.SelectMany(b => LinearAlgebra.Multiply(kernel.Compute(x.SliceRows(b.RowStart, b.Rows), x, ComputeOptions.Default), v).Data).ToArray();

    [Fact]
    public async Task BlocksAreSpreadOverTheSilos()
    {
        var x = Inputs(60, 3, 4);
        await using var op = new ClusterKernelOperator(fixture.Cluster.Client, Gaussian, x, 5);
        var reports = new List<ProgressInfo>();
        await op.LoadAsync(new ClusterKernelJobTests.SyncProgress(reports.Add));
        Assert.Equal(12, op.Blocks.Count);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), reports.Select(p => p.Done));
        Assert.All(reports, p => Assert.Equal(12, p.Total));
        Assert.All(op.Silos, s => Assert.False(string.IsNullOrEmpty(s)));
        Assert.True(op.Silos.Distinct().Count() >= 2, $"12 blocks all landed on {op.Silos[0]}");
    }

    [Fact]
    public async Task DistributedConjugateGradientEqualsTheSingleMachineSolve()
    {
        var x = Inputs(80, 4, 5);
        var y = Inputs(80, 2, 6);
        const double lambda = 1e-3;
        var regression = new IterativeKernelRegression(DenseNtk) { Tolerance = 1e-12, PreconditionerRank = 20 };
        var single = regression.FitOperator(ConjugateGradient.FromMatrix(DenseNtk.Compute(x, null, ComputeOptions.Default)), y, lambda);
        await using var op = await ClusterKernelOperator.CreateAsync(fixture.Cluster.Client, DenseNtk, x);
        Assert.True(op.Blocks.Count >= 3, $"{op.Blocks.Count} blocks for three silos");
        var distributed = await Task.Run(() => regression.FitOperator(op.Multiply, y, lambda));
        Assert.True(single.Converged && distributed.Converged);
        Assert.True(RelativeDifference(single.Solution, distributed.Solution) <= 1e-10, $"relative difference {RelativeDifference(single.Solution, distributed.Solution):G3}");
        Assert.True(op.Products >= distributed.Iterations, $"{op.Products} products for {distributed.Iterations} iterations");
        Assert.Equal(0, op.Reloads);
    }

    [Fact]
    public async Task BlockThatWasDroppedAnswersNotLoadedAndIsLoadedAgain()
    {
        var x = Inputs(20, 3, 7);
        var v = Inputs(20, 2, 8);
        await using var op = new ClusterKernelOperator(fixture.Cluster.Client, Gaussian, x, 7);
        await op.LoadAsync();
        // Drop block 1's data behind the operator's back, as a re-activation or an idle collection would.
        await fixture.Cluster.Client.GetGrain<IKernelRowBlockGrain>(op.JobId, "1/0", null).ReleaseAsync();
        var got = new Matrix(20, 2);
        await op.MultiplyAsync(v, got);
        Assert.Equal(Blockwise(Gaussian, x, v, op), got.Data);
        Assert.Equal(1, op.Reloads);
        Assert.Equal(op.Blocks.Count + 1, op.Loads);
    }

    [Fact]
    public async Task BlockAboveTheMemoryBudgetIsRefusedWithTheFix()
    {
        var x = Inputs(30, 3, 9);
        await using var op = new ClusterKernelOperator(fixture.Cluster.Client, Gaussian, x, 30, compute: new ComputeOptions { MemoryBudget = 1000 });
        var e = await Assert.ThrowsAsync<InsufficientMemoryException>(() => op.LoadAsync());
        Assert.Contains("Row block 0 of the kernel (30×30) needs 7.03 KiB", e.Message);
        Assert.Contains("smaller block size", e.Message);
    }

    [Fact]
    public void DefaultBlocksAreAboutOnePerCoreAndWithinTheMemoryBound()
    {
        Assert.Equal(10, ClusterKernelOperator.DefaultBlockRows(100, 3, 10));
        Assert.Equal(34, ClusterKernelOperator.DefaultBlockRows(100, 3, 1));    // at least one block per silo
        Assert.Equal(1, ClusterKernelOperator.DefaultBlockRows(5, 3, 48));      // never an empty block
        Assert.Equal(125, ClusterKernelOperator.DefaultBlockRows(1000, 2, 4, 1_000_000));   // 8·rows·n ≤ 1 MB
        Assert.Equal(1, ClusterKernelOperator.DefaultBlockRows(1000, 1, 1, 10));            // at least one row
    }

    [Fact]
    public async Task OperatorRefusesVectorsOfTheWrongShape()
    {
        var x = Inputs(10, 2, 10);
        await using var op = new ClusterKernelOperator(fixture.Cluster.Client, Gaussian, x, 4);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => op.MultiplyAsync(new Matrix(9, 1), new Matrix(9, 1)));
        Assert.Contains("V must be 10×k", e.Message);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task DistributedSolveConvergesToTheSameSolutionAfterASiloIsKilledMidSolve()
    {
        var x = Inputs(90, 4, 11);
        var y = Inputs(90, 1, 12);
        const double lambda = 1e-3;
        var regression = new IterativeKernelRegression(DenseNtk) { Tolerance = 1e-12, PreconditionerRank = 0 };
        var single = regression.FitOperator(ConjugateGradient.FromMatrix(DenseNtk.Compute(x, null, ComputeOptions.Default)), y, lambda);
        TestCluster? cluster = null;
        try
        {
            cluster = await StartAsync(3);
            var options = new ClusterJobOptions { CallTimeout = TimeSpan.FromSeconds(5), RetryDelay = TimeSpan.FromMilliseconds(200), MaxAttempts = 8 };
            await using var op = new ClusterKernelOperator(cluster.Client, DenseNtk, x, 6, options);
            await op.LoadAsync();
            // The victim: a silo other than the first (which keeps the test cluster's membership) that holds blocks.
            var victim = cluster.SecondarySilos.First(s => op.Silos.Any(b => b == s.SiloAddress.ToString()));
            int held = op.Silos.Count(b => b == victim.SiloAddress.ToString());
            Task? kill = null;
            var killing = regression with
            {
                OnIteration = it =>
                {
                    if (it.Iteration == 3) kill = cluster.KillSiloAsync(victim);
                },
            };
            var distributed = await Task.Run(() => killing.FitOperator(op.Multiply, y, lambda));
            Assert.NotNull(kill);
            await kill;
            Assert.DoesNotContain(victim, cluster.GetActiveSilos());
            Assert.True(distributed.Converged);
            Assert.True(RelativeDifference(single.Solution, distributed.Solution) <= 1e-10, $"relative difference {RelativeDifference(single.Solution, distributed.Solution):G3}");
            Assert.True(op.Reloads >= held, $"{op.Reloads} reloads, but the victim held {held} blocks");
            Assert.DoesNotContain(victim.SiloAddress.ToString(), op.Silos);
        }
        finally
        {
            await StopAsync(cluster);
        }
    }

    private static double RelativeDifference(Matrix a, Matrix b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Data.Length; i++)
        {
            num += (a.Data[i] - b.Data[i]) * (a.Data[i] - b.Data[i]);
            den += a.Data[i] * a.Data[i];
        }
        return Math.Sqrt(num / den);
    }
}
