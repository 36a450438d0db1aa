using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Engine;

/// <summary>
/// <see cref="ComputeOptions"/> is honoured by every kernel engine: the provider, tile size, memory budget,
/// thread limit, progress and cancellation given in the options are the ones used. No test here sets the
/// process-wide statics (<see cref="LinearAlgebra.Provider"/>, <see cref="ConvolutionalKernel.DefaultMemoryBudget"/>).
/// </summary>
public sealed class ComputeOptionsTests
{
    private static readonly ImageShape Shape = new(5, 4, 2);
    private const string Pooling = "conv(size=3,w=1.4) relu global_avg_pool";
    private const string DenseSpec = "dense(w=1.5,b=0.1) relu dense(w=1.2)";

    /// <summary>A provider that counts its calls and forwards them to the managed one.</summary>
    private sealed class CountingProvider : ILinearAlgebraProvider
    {
        private static ManagedProvider Inner => ManagedProvider.Instance;
        private int _gemm, _other;
        public int GemmCalls => Volatile.Read(ref _gemm);
        public int OtherCalls => Volatile.Read(ref _other);
        public string Name => "counting";
        public string Description => "counts calls, then runs the managed provider";

        public void Gemm(Op transA, Op transB, int m, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
        {
            Interlocked.Increment(ref _gemm);
            Inner.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }

        public void Syrk(int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc)
        {
            Interlocked.Increment(ref _other);
            Inner.Syrk(n, k, alpha, a, lda, beta, c, ldc);
        }

        public int Potrf(int n, Span<double> a, int lda)
        {
            Interlocked.Increment(ref _other);
            return Inner.Potrf(n, a, lda);
        }

        public void Trsm(Op trans, int n, int nrhs, ReadOnlySpan<double> l, int ldl, Span<double> b, int ldb)
        {
            Interlocked.Increment(ref _other);
            Inner.Trsm(trans, n, nrhs, l, ldl, b, ldb);
        }

        public void Syevd(int n, Span<double> a, int lda, Span<double> w)
        {
            Interlocked.Increment(ref _other);
            Inner.Syevd(n, a, lda, w);
        }
    }

    /// <summary>Records every report synchronously (Progress&lt;T&gt; would post them later), with the reporting thread.</summary>
    private sealed class Recorder(Action<Recorder>? onReport = null) : IProgress<ProgressInfo>
    {
        private readonly Lock _lock = new();
        public readonly List<(ProgressInfo Info, int Thread)> Reports = [];

        public int Count { get { lock (_lock) return Reports.Count; } }

        public void Report(ProgressInfo value)
        {
            lock (_lock) Reports.Add((value, Environment.CurrentManagedThreadId));
            onReport?.Invoke(this);
        }

        /// <summary>Tile reports (all but the initial 0-done one).</summary>
        public int Tiles => Count - 1;
    }

    private static void AssertClose(Matrix? expected, Matrix? actual, double tol, string what)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Shape, actual.Shape);
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= tol * (1 + Math.Abs(expected.Data[i])),
                $"{what}: entry {i} is {actual.Data[i]:R}, expected {expected.Data[i]:R}");
    }

    [Fact]
    public void TheConvolutionalEngineTakesMoreTilesUnderASmallBudgetGivenInOptions()
    {
        // A window pool takes the tile engine, whose row segments shrink to fit the budget (the pair engine's memory does not depend on them).
        var ck = new ConvolutionalKernel(Architecture.Parse("conv(size=3,w=1.4) relu avg_pool(size=2) global_avg_pool"), Shape);
        var x = RandomInputs(37, Shape.Features, 4);
        var wide = new Recorder();
        var reference = ck.Compute(x, null, KernelOutputs.Both, new ComputeOptions { MaxThreads = 2, Progress = wide });
        var narrow = new Recorder();
        var budget = ck.MemoryNeeded(37, 37, 2, 2, 2);   // room for segments of 2 columns only
        var tight = ck.Compute(x, null, KernelOutputs.Both, new ComputeOptions { MaxThreads = 2, MemoryBudget = budget, Progress = narrow });
        AssertClose(reference.Nngp, tight.Nngp, 1e-15, "nngp");
        AssertClose(reference.Ntk, tight.Ntk, 1e-15, "ntk");
        Assert.Equal(TileScheduler.Plan(37, 37, true, 2, 2).Count, narrow.Tiles);   // 19·20/2 tiles of 2×2
        Assert.True(narrow.Tiles > wide.Tiles, $"{narrow.Tiles} tiles under the small budget, {wide.Tiles} without");
    }

    [Fact]
    public void ArchitectureComputeKernelsPassesTheBudgetToTheConvolutionalEngine()
    {
        var arch = Architecture.Parse(Pooling).WithInputShape(Shape);
        var x = RandomInputs(6, Shape.Features, 7);
        var e = Assert.Throws<InsufficientMemoryException>(() => arch.ComputeKernels(x, null, KernelOutputs.Both, new ComputeOptions { MemoryBudget = 1000 }));
        Assert.Contains("budget is 0.0 MiB", e.Message);
        Assert.Contains("MemoryBudget", e.Message);
        // The same architecture without the option computes (the process default budget is untouched).
        Assert.NotNull(arch.ComputeKernels(x, null, KernelOutputs.Nngp, ComputeOptions.Default).Nngp);
    }

    [Fact]
    public void TheDenseAndClassicalEnginesRefuseOutputsBeyondTheBudget()
    {
        var x = RandomInputs(400, 3, 1);   // a 400×400 output is 1.2 MiB
        var options = new ComputeOptions { MemoryBudget = 1 << 20 };
        var e = Assert.Throws<InsufficientMemoryException>(() => Architecture.Parse(DenseSpec).ComputeKernels(x, null, KernelOutputs.Nngp, options));
        Assert.Contains("the memory budget is 1.00 MiB", e.Message);
        Assert.Contains("NNGP matrix of 400×400 inputs", e.Message);
        var c = Assert.Throws<InsufficientMemoryException>(() => ClassicalKernel.Gaussian(0.5).Compute(x, null, options));
        Assert.Contains("the memory budget is 1.00 MiB", c.Message);
        // Within the budget: computed.
        Assert.Equal(100, ClassicalKernel.Gaussian(0.5).Compute(x.SliceRows(0, 100), null, options).Rows);
    }

    [Fact]
    public void TheProviderGivenInOptionsIsTheOneUsed()
    {
        var x = RandomInputs(30, 4, 2);
        var y = RandomInputs(30, 1, 3);
        var xt = RandomInputs(7, 4, 5);
        var arch = Architecture.Parse(DenseSpec);

        var dense = new CountingProvider();
        var k = arch.ComputeKernels(x, null, KernelOutputs.Both, new ComputeOptions { Provider = dense, TileSize = 8 });
        Assert.Equal(TileScheduler.Plan(30, 30, true, 8, 8).Count, dense.GemmCalls);   // one GEMM per tile
        AssertClose(arch.ComputeKernels(x, null, KernelOutputs.Both, ComputeOptions.Default).Ntk, k.Ntk, 1e-13, "ntk");

        var classical = new CountingProvider();
        ClassicalKernel.Gaussian(0.3).Compute(x, xt, new ComputeOptions { Provider = classical });
        Assert.True(classical.GemmCalls > 0);

        var regression = new CountingProvider();
        var options = new ComputeOptions { Provider = regression };
        var model = new KernelRegression(new NeuralKernel(arch, KernelOutputs.Ntk)) { Ridge = Ridge.Absolute(1e-3) }.Fit(x, y, options);
        Assert.True(regression.OtherCalls > 0, "the solve of K + λI uses the provider in the options");
        int before = regression.GemmCalls;
        var p = model.Predict(xt, options);
        Assert.True(regression.GemmCalls > before);
        AssertClose(new KernelRegression(new NeuralKernel(arch, KernelOutputs.Ntk)) { Ridge = Ridge.Absolute(1e-3) }.Fit(x, y).Predict(xt), p, 1e-9, "prediction");

        var ensemble = new CountingProvider();
        var fitted = new NeuralKernelRegressor(arch).Fit(x, y, new ComputeOptions { Provider = ensemble });
        Assert.True(ensemble.GemmCalls > 0, "the train kernels use the provider in the options");
        int gemms = ensemble.GemmCalls;
        fitted.Predict(xt, new ComputeOptions { Provider = ensemble });
        Assert.True(ensemble.GemmCalls > gemms, "the test kernels use the provider in the options");
        Assert.True(ensemble.OtherCalls > 0, "the ensemble's (lazy) eigendecomposition uses the provider given at Fit");
    }

    [Fact]
    public void OneThreadGivesTheSameKernelsOnOneThread()
    {
        var x = RandomInputs(48, 5, 8);
        var arch = Architecture.Parse(DenseSpec);
        var all = arch.ComputeKernels(x, null, KernelOutputs.Both, new ComputeOptions { TileSize = 4 });
        var progress = new Recorder();
        var one = arch.ComputeKernels(x, null, KernelOutputs.Both, new ComputeOptions { TileSize = 4, MaxThreads = 1, Progress = progress });
        AssertClose(all.Nngp, one.Nngp, 1e-14, "nngp");
        AssertClose(all.Ntk, one.Ntk, 1e-14, "ntk");
        Assert.Single(progress.Reports.Skip(1).Select(r => r.Thread).Distinct());   // 78 tiles, all on one thread

        var ck = new ConvolutionalKernel(Architecture.Parse(Pooling), Shape);
        var images = RandomInputs(9, Shape.Features, 9);
        var convProgress = new Recorder();
        var c1 = ck.Compute(images, null, KernelOutputs.Both, new ComputeOptions { MaxThreads = 1, TileSize = 2, Progress = convProgress });
        AssertClose(ck.Compute(images).Ntk, c1.Ntk, 1e-15, "cntk");
        Assert.Single(convProgress.Reports.Skip(1).Select(r => r.Thread).Distinct());

        var g = ClassicalKernel.Laplace(0.2);
        AssertClose(g.Compute(x), g.Compute(x, null, new ComputeOptions { MaxThreads = 1 }), 1e-15, "laplace");
    }

    [Fact]
    public void TileSizeIsHonouredAndDoesNotChangeTheResult()
    {
        var x1 = RandomInputs(20, 3, 11);
        var x2 = RandomInputs(13, 3, 12);
        var arch = Architecture.Parse(DenseSpec);
        var reference = arch.ComputeKernels(x1, x2);
        foreach (int size in new[] { 1, 7, 64 })
        {
            var progress = new Recorder();
            var r = arch.ComputeKernels(x1, x2, KernelOutputs.Both, new ComputeOptions { TileSize = size, Progress = progress });
            AssertClose(reference.Nngp, r.Nngp, 1e-13, $"nngp, tiles of {size}");
            AssertClose(reference.Ntk, r.Ntk, 1e-13, $"ntk, tiles of {size}");
            Assert.Equal(TileScheduler.Plan(20, 13, false, size, size).Count, progress.Tiles);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => arch.ComputeKernels(x1, x2, KernelOutputs.Nngp, new ComputeOptions { TileSize = 5000 }));

        var ck = new ConvolutionalKernel(Architecture.Parse(Pooling), Shape);
        var images = RandomInputs(11, Shape.Features, 13);
        var conv = ck.Compute(images);
        foreach (int size in new[] { 1, 3 })
        {
            var progress = new Recorder();
            AssertClose(conv.Nngp, ck.Compute(images, null, KernelOutputs.Both, new ComputeOptions { TileSize = size, Progress = progress }).Nngp, 1e-15, $"cntk, tiles of {size}");
            Assert.Equal(TileScheduler.Plan(11, 11, true, size, size).Count, progress.Tiles);
        }

        var poly = ClassicalKernel.Polynomial(0.5, 1, 3);
        var blocks = new Recorder();
        AssertClose(poly.Compute(x1, x2), poly.Compute(x1, x2, new ComputeOptions { TileSize = 6, Progress = blocks }), 1e-14, "polynomial");
        Assert.Equal(4, blocks.Tiles);   // 20 rows in blocks of 6
    }

    [Fact]
    public void ACancelledTokenStopsEveryEngineBeforeCompletion()
    {
        var x = RandomInputs(40, 3, 21);
        var arch = Architecture.Parse(DenseSpec);
        using var cts = new CancellationTokenSource();
        // Cancelled after the first tile: one thread, so no other tile is running then.
        var progress = new Recorder(r => { if (r.Count == 2) cts.Cancel(); });
        var options = new ComputeOptions { TileSize = 4, MaxThreads = 1, Progress = progress, CancellationToken = cts.Token };
        Assert.ThrowsAny<OperationCanceledException>(() => arch.ComputeKernels(x, null, KernelOutputs.Both, options));
        Assert.True(progress.Tiles < TileScheduler.Plan(40, 40, true, 4, 4).Count, $"{progress.Tiles} tiles computed after cancelling");

        var cancelled = new ComputeOptions { CancellationToken = new CancellationToken(true) };
        Assert.ThrowsAny<OperationCanceledException>(() => new ConvolutionalKernel(Architecture.Parse(Pooling), Shape).Compute(RandomInputs(4, Shape.Features, 1), null, KernelOutputs.Both, cancelled));
        Assert.ThrowsAny<OperationCanceledException>(() => ClassicalKernel.Gaussian(1).Compute(x, null, cancelled));
        Assert.ThrowsAny<OperationCanceledException>(() => new KernelRegression(ClassicalKernel.Linear()).Fit(x, RandomInputs(40, 1, 2), cancelled));
        Assert.ThrowsAny<OperationCanceledException>(() => new NeuralKernel(arch, KernelOutputs.Nngp).Compute(x, null, cancelled));
    }

    [Fact]
    public void TheCliPassesProviderAndBudgetInOptionsWithoutSettingTheStatics()
    {
        string dir = Directory.CreateTempSubdirectory("tangent-opts-").FullName;
        try
        {
            string x = Path.Combine(dir, "x.csv"), k = Path.Combine(dir, "k.npy");
            var rows = RandomInputs(400, 3, 31);
            File.WriteAllLines(x, Enumerable.Range(0, rows.Rows).Select(i => string.Join(',', rows.Row(i).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
            var before = LinearAlgebra.Provider;
            string other = before is ManagedProvider && LinearAlgebra.Available().Count > 1 ? "native" : "managed";
            var (code, _, err) = Tangent.Tests.Cli.CliRunner.Run("kernel", "--kernel", "gaussian", "--x1", x, "--out", k, "--provider", other, "--memory-budget", "4MB");
            Assert.True(code == 0, err);
            Assert.Same(before, LinearAlgebra.Provider);
            // 1MB is too little for the 400×400 output: refused by the classical engine through the options.
            (code, var output, err) = Tangent.Tests.Cli.CliRunner.Run("kernel", "--kernel", "gaussian", "--x1", x, "--out", k, "--memory-budget", "1MB");
            Assert.Equal(2, code);
            Assert.Contains("the memory budget is 1.00 MiB", Tangent.Tests.Cli.CliRunner.AssertErrorForm(err, output));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void OutOfRangeSettingsAreRefusedWhenSet()
    {
        Assert.Contains("tile size", Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeOptions { TileSize = 0 }).Message);
        Assert.Contains("MaxThreads", Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeOptions { MaxThreads = 0 }).Message);
        Assert.Contains("memory budget", Assert.Throws<ArgumentOutOfRangeException>(() => new ComputeOptions { MemoryBudget = 0 }).Message);
        var d = ComputeOptions.Default;
        Assert.Null(d.Provider);
        Assert.Equal(Environment.ProcessorCount, d.Threads);
        Assert.Same(LinearAlgebra.Provider, d.ProviderOrDefault);
    }
}
