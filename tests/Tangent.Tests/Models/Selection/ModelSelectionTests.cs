using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

public sealed class ModelSelectionTests
{
    internal static LabeledData Regression(int n, int d, int seed)
    {
        var x = TestData.Random(n, d, seed);
        var y = Matrix.Build(n, 2, (i, j) => Math.Sin(x[i, 0] + j) + 0.5 * x[i, d - 1] + 0.1 * TestData.Random(n, 2, seed + 1)[i, j]);
        return new LabeledData(x, y, Enumerable.Range(1, d).Select(i => "x" + i).ToArray(), ["y1", "y2"], TaskKind.Regression);
    }

    internal static LabeledData Classification(int n, int seed)
    {
        var x = TestData.Random(n, 3, seed);
        var raw = Enumerable.Range(0, n).Select(i => x[i, 0] + 0.3 * x[i, 1] > 0.4 ? "b" : x[i, 2] > 0 ? "a" : "c").ToArray();
        var enc = LabelEncoder.Fit(raw);
        return new LabeledData(x, enc.OneHot(raw), ["x1", "x2", "x3"], ["label"], TaskKind.Classification, enc, raw);
    }

    private static int[] Rest(int[] val, int n) => Enumerable.Range(0, n).Except(val).ToArray();

    [Fact]
    public void CrossValidationScoresEqualFittingEachFoldFromScratch()
    {
        var data = Regression(41, 3, 1);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(1), StandardizeFeatures = true, StandardizeTarget = true };
        var result = ModelSelection.Select(spec, HyperGrid.Parse("gamma=0.2,1; ridge=1e-3,0.1"), SelectionMethod.CrossValidation(4), data, seed: 7);
        var folds = ModelSelection.Folds(data, SelectionMethod.CrossValidation(4), 7);
        // Preprocessing is fitted on the whole training set (the documented leakage), so the reference does the same.
        var x = new Standardizer().FitTransform(data.X).Transformed;
        var ys = new Standardizer().Fit(data.Y);
        var z = ys.Transform(data.Y);
        Assert.Equal(4, result.Rows.Count);
        foreach (var row in result.Rows)
        {
            for (int f = 0; f < folds.Count; f++)
            {
                var tr = Rest(folds[f], data.Count);
                var model = new KernelRegression(row.Spec.Kernel!) { Ridge = row.Spec.Ridge }.Fit(x.SelectRows(tr), z.SelectRows(tr));
                var prediction = ys.InverseTransform(model.Predict(x.SelectRows(folds[f])));
                double mse = Metrics.MeanSquaredError(prediction, data.Y.SelectRows(folds[f]));
                Assert.Equal(mse, row.FoldScores[f], 1e-10);
            }
            Assert.Equal(row.FoldScores.Average(), row.Score, 12);
        }
        Assert.Equal("mse", result.ScoreName);
        Assert.False(result.HigherIsBetter);
        Assert.Equal(result.Rows.Min(r => r.Score), result.BestRow.Score);
        Assert.Same(result.BestRow.Spec, result.Best);
    }

    [Fact]
    public void NetworkTimesReuseOneKernelAndMatchTheRegressorFittedPerFold()
    {
        var data = Regression(30, 2, 2);
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense(w=1.3,b=0.1) relu dense(w=1.3)") };
        var method = SelectionMethod.Holdout(0.3);
        var result = ModelSelection.Select(spec, HyperGrid.Parse("get=nngp,ntk; ridge=0,1e-2; time=3,inf"), method, data, seed: 3);
        var val = ModelSelection.Folds(data, method, 3).Single();
        Assert.Equal(9, val.Length);
        var tr = Rest(val, data.Count);
        foreach (var row in result.Rows)
        {
            var fitted = new NeuralKernelRegressor(row.Spec.Architecture!) { Kernel = row.Spec.Get, Ridge = row.Spec.Ridge, Time = row.Spec.Time }
                .Fit(data.X.SelectRows(tr), data.Y.SelectRows(tr));
            double mse = Metrics.MeanSquaredError(fitted.Predict(data.X.SelectRows(val)), data.Y.SelectRows(val));
            Assert.Equal(mse, row.Score, 1e-9);
        }
    }

    [Fact]
    public void ClassificationFoldsAreStratifiedAndAccuracyIsTheArgmaxOfTheOneHotRegression()
    {
        var data = Classification(60, 5);
        var method = SelectionMethod.Parse("cv:5");
        var folds = ModelSelection.Folds(data, method, 11);
        Assert.Equal(Enumerable.Range(0, 60), folds.SelectMany(f => f).Order());
        var classes = data.Labels!.Indices(data.RawLabels!);
        for (int c = 0; c < 3; c++)
        {
            var counts = folds.Select(f => f.Count(i => classes[i] == c)).ToArray();
            Assert.True(counts.Max() - counts.Min() <= 1, $"class {c}: {string.Join(",", counts)}");
        }
        Assert.True(folds.Max(f => f.Length) - folds.Min(f => f.Length) <= 1);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Laplace(0.5) };
        var result = ModelSelection.Select(spec, HyperGrid.Parse("ridge=1e-2,1"), method, data, seed: 11);
        Assert.Equal("accuracy", result.ScoreName);
        Assert.True(result.HigherIsBetter);
        foreach (var row in result.Rows)
            for (int f = 0; f < folds.Count; f++)
            {
                var tr = Rest(folds[f], 60);
                var scores = new KernelRegression(spec.Kernel!) { Ridge = row.Spec.Ridge }.Fit(data.X.SelectRows(tr), data.Y.SelectRows(tr)).Predict(data.X.SelectRows(folds[f]));
                var decoded = data.Labels.Decode(scores);
                double accuracy = folds[f].Select((i, r) => decoded[r] == data.RawLabels![i] ? 1.0 : 0).Average();
                Assert.Equal(accuracy, row.FoldScores[f], 12);
            }
    }

    [Fact]
    public void FoldsAreDeterministicForASeedAndPartitionTheRows()
    {
        var data = Regression(23, 2, 4);
        var a = ModelSelection.Folds(data, SelectionMethod.CrossValidation(5), 42);
        var b = ModelSelection.Folds(data, SelectionMethod.CrossValidation(5), 42);
        var c = ModelSelection.Folds(data, SelectionMethod.CrossValidation(5), 43);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal([5, 5, 5, 4, 4], a.Select(f => f.Length));
        Assert.Equal(Enumerable.Range(0, 23), a.SelectMany(f => f).Order());
    }

    [Fact]
    public void TiesGoToTheLargerRidge()
    {
        // Two well-separated clusters: every ridge classifies all points right.
        var x = Matrix.Build(20, 1, (i, _) => i < 10 ? -5 - 0.1 * i : 5 + 0.1 * i);
        var raw = Enumerable.Range(0, 20).Select(i => i < 10 ? "0" : "1").ToArray();
        var enc = LabelEncoder.Fit(raw);
        var data = new LabeledData(x, enc.OneHot(raw), ["x"], ["y"], TaskKind.Classification, enc, raw);
        var result = ModelSelection.Select(new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.5) }, HyperGrid.Parse("ridge=1e-3,0.1,1e-2"), SelectionMethod.CrossValidation(2), data);
        Assert.All(result.Rows, r => Assert.Equal(1.0, r.Score));
        Assert.Equal(0.1, result.Best.Ridge.Value);
    }

    [Fact]
    public void EvidenceRanksByTheLogMarginalLikelihood()
    {
        var data = Regression(25, 2, 6);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(1) };
        var result = ModelSelection.Select(spec, HyperGrid.Parse("gamma=0.3,3; ridge=1e-2,0.3"), SelectionMethod.Parse("evidence"), data);
        Assert.Equal("log marginal likelihood", result.ScoreName);
        foreach (var row in result.Rows)
        {
            var k = row.Spec.Kernel!.Compute(data.X);
            Assert.Equal(new GaussianProcessInference(k, data.Y, row.Spec.Ridge).LogMarginalLikelihood(), row.Score, 9);
        }
        Assert.Equal(result.Rows.Max(r => r.Score), result.BestRow.Score);
        var ntk = new ModelSpec { Architecture = Architecture.Parse("dense relu dense") };
        Assert.Contains("get=nngp", Assert.Throws<ArgumentException>(() => ModelSelection.Select(ntk, HyperGrid.Parse("ridge=1"), SelectionMethod.Evidence, data)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvidenceOfAClassificationIsSummedOverTheOneHotColumns()
    {
        var data = Classification(30, 13);
        var result = ModelSelection.Select(new ModelSpec { Architecture = Architecture.Parse("dense(w=1.5,b=0.1) relu dense"), Get = KernelOutputs.Nngp },
            HyperGrid.Parse("w=1,2; ridge=0.1"), SelectionMethod.Evidence, data);
        foreach (var row in result.Rows)
        {
            var k = row.Spec.Architecture!.ComputeKernels(data.X, null, KernelOutputs.Nngp).Nngp;
            double sum = Enumerable.Range(0, 3).Sum(c => new GaussianProcessInference(k, data.Y.SelectColumns([c]), row.Spec.Ridge).LogMarginalLikelihood());
            Assert.Equal(sum, row.Score, 9);
        }
    }

    [Fact]
    public void UnstableTimesAreScoredNaNWithANoteAndNeverSelected()
    {
        var data = Regression(40, 2, 14);
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense(w=3,b=1) relu dense(w=3,b=1)") };
        var result = ModelSelection.Select(spec, HyperGrid.Parse("time=1000,inf; ridge=1e-2"), SelectionMethod.CrossValidation(2), data);
        Assert.True(double.IsNaN(result.Rows[0].Score));
        Assert.Contains("learning rate", result.Rows[0].Note!, StringComparison.OrdinalIgnoreCase);
        Assert.True(double.IsPositiveInfinity(result.Best.Time));
        Assert.Null(result.BestRow.Note);
    }

    [Fact]
    public void ProgressIsReportedOncePerKernelSetting()
    {
        var reports = new List<Tangent.Engine.ProgressInfo>();
        var progress = new SyncProgress(reports.Add);
        ModelSelection.Select(new ModelSpec { Kernel = ClassicalKernel.Gaussian(1) }, HyperGrid.Parse("gamma=0.1,1,10; ridge=1e-2,1"), SelectionMethod.Holdout(0.25), Regression(20, 2, 8), progress: progress);
        Assert.Equal([1L, 2, 3], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(3, r.Total));
    }

    [Theory]
    [InlineData("cv:1", "at least 2 folds")]
    [InlineData("holdout:1.5", "between 0 and 1")]
    [InlineData("loo", "Unknown selection method 'loo'")]
    [InlineData("cv:x", "Unknown selection method")]
    public void MalformedMethodsAreRefused(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => SelectionMethod.Parse(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void APredefinedSplitTrainsOnTheRestAndScoresTheGivenRows()
    {
        var data = Regression(30, 3, 21);
        var validation = new[] { 17, 2, 9, 25, 4, 11 };
        var method = SelectionMethod.Split(validation);
        Assert.Equal([2, 4, 9, 11, 17, 25], ModelSelection.Folds(data, method, seed: 5).Single());
        Assert.Equal("split (6 validation rows)", method.ToString());
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.5) };
        var result = ModelSelection.Select(spec, HyperGrid.Parse("ridge=1e-3,0.1,1"), method, data);
        var val = validation.Order().ToArray();
        var tr = Rest(val, data.Count);
        foreach (var row in result.Rows)
        {
            var model = new KernelRegression(spec.Kernel!) { Ridge = row.Spec.Ridge }.Fit(data.X.SelectRows(tr), data.Y.SelectRows(tr));
            Assert.Equal(Metrics.MeanSquaredError(model.Predict(data.X.SelectRows(val)), data.Y.SelectRows(val)), row.Score, 1e-10);
            Assert.Single(row.FoldScores);
        }
    }

    [Theory]
    [InlineData(new int[0], "has no rows")]
    [InlineData(new[] { 3, -1 }, "Validation row -1 is negative")]
    [InlineData(new[] { 3, 5, 3 }, "Validation row 3 is given twice")]
    public void MalformedSplitsAreRefused(int[] rows, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => SelectionMethod.Split(rows)).Message, StringComparison.Ordinal);

    [Fact]
    public void ASplitBeyondTheDataOrTakingEveryRowIsRefusedAtSelection()
    {
        var data = Regression(10, 2, 3);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.5) };
        var beyond = Assert.Throws<ArgumentException>(() => ModelSelection.Select(spec, HyperGrid.Parse("ridge=1"), SelectionMethod.Split([1, 10]), data));
        Assert.Contains("Validation row 10 (0-based) is beyond the 10 training rows; give rows 0..9.", beyond.Message, StringComparison.Ordinal);
        var all = Assert.Throws<ArgumentException>(() => ModelSelection.Select(spec, HyperGrid.Parse("ridge=1"), SelectionMethod.Split([.. Enumerable.Range(0, 10)]), data));
        Assert.Contains("leaves none to train on", all.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DepthAndFixAreSelectedOnASplitAsTheFrozenNetworksFittedFromScratch()
    {
        var data = Classification(48, 17);
        var method = SelectionMethod.Split([.. Enumerable.Range(0, 48).Where(i => i % 4 == 1)]);
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense(w=1.41,b=0.1) repeat(1){relu dense(w=1.41,b=0.1)}"), StandardizeFeatures = true };
        var result = ModelSelection.Select(spec, HyperGrid.Parse("depth=1,2; fix=0,1,2; get=nngp,ntk; ridge=1e-2"), method, data);
        // depth=1: nngp, ntk fix 0, 1 (fix 2 freezes both layers); depth=2: nngp, ntk fix 0, 1, 2.
        Assert.Equal(["depth=1 fix=0 get=nngp", "depth=1 fix=0 get=ntk", "depth=1 fix=1 get=ntk",
                      "depth=2 fix=0 get=nngp", "depth=2 fix=0 get=ntk", "depth=2 fix=1 get=ntk", "depth=2 fix=2 get=ntk"],
            result.Rows.Select(r => r.Label[..r.Label.LastIndexOf(" ridge", StringComparison.Ordinal)]));
        Assert.Contains(result.Notes, n => n.StartsWith("depth=1 fix=2 skipped", StringComparison.Ordinal));
        var val = method.ValidationRows!.ToArray();
        var tr = Rest(val, data.Count);
        var x = new Standardizer().FitTransform(data.X).Transformed;
        foreach (var row in result.Rows)
        {
            var fitted = new NeuralKernelRegressor(row.Spec.Architecture!) { Kernel = row.Spec.Get, Ridge = row.Spec.Ridge }.Fit(x.SelectRows(tr), data.Y.SelectRows(tr));
            var decoded = data.Labels!.Decode(fitted.Predict(x.SelectRows(val)));
            double accuracy = val.Select((i, r) => decoded[r] == data.RawLabels![i] ? 1.0 : 0).Average();
            Assert.Equal(accuracy, row.Score, 12);
        }
        // fix = depth: only the readout is trained, so the NTK point scores as the NNGP point.
        Assert.Equal(result.Rows[3].Score, result.Rows[6].Score, 12);
    }

    [Fact]
    public void ParallelScoringGivesTheSameSelectionAsSerial()
    {
        var data = Regression(60, 3, 31);
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense(w=1.4,b=0.1) relu dense(w=1.2,b=0.1)"), StandardizeTarget = true };
        var grid = HyperGrid.Parse("get=nngp,ntk; w=1,1.5; ridge=1e-3,1e-2,0.1; time=2,inf");
        var method = SelectionMethod.CrossValidation(4);
        var serial = ModelSelection.Select(spec, grid, method, data, seed: 2, new ComputeOptions { MaxThreads = 1 });
        var parallel = ModelSelection.Select(spec, grid, method, data, seed: 2, new ComputeOptions { MaxThreads = 8 });
        Assert.Equal(serial.BestIndex, parallel.BestIndex);
        for (int i = 0; i < serial.Rows.Count; i++)
        {
            Assert.Equal(serial.Rows[i].Label, parallel.Rows[i].Label);
            Assert.Equal(serial.Rows[i].FoldScores, parallel.Rows[i].FoldScores);   // bit for bit
        }
    }

    [Fact]
    public void SettingsThatDifferOnlyInGetShareOneKernelComputation()
    {
        // d = 7 inputs: the kernel engine's tile GEMMs are the provider's only calls with an inner dimension of 7.
        var data = Regression(40, 7, 41);
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense(w=1.4,b=0.1) relu dense(w=1.2)") };
        int KernelPasses(string grid)
        {
            var counter = new CountingProvider(7);
            ModelSelection.Select(spec, HyperGrid.Parse(grid), SelectionMethod.CrossValidation(2), data, options: new ComputeOptions { Provider = counter });
            return counter.Calls;
        }
        int ntkOnly = KernelPasses("get=ntk; w=1,1.5; ridge=0.1");
        Assert.True(ntkOnly > 0);
        Assert.Equal(ntkOnly, KernelPasses("get=nngp,ntk; w=1,1.5; ridge=0.1"));
        // The rows are those of separate computations.
        var shared = ModelSelection.Select(spec, HyperGrid.Parse("get=nngp,ntk; w=1,1.5; ridge=0.1"), SelectionMethod.CrossValidation(2), data);
        var nngpAlone = ModelSelection.Select(spec, HyperGrid.Parse("get=nngp; w=1,1.5; ridge=0.1"), SelectionMethod.CrossValidation(2), data);
        Assert.Equal(nngpAlone.Rows[1].FoldScores, shared.Rows[1].FoldScores);
    }

    /// <summary>Counts the GEMMs with a given inner dimension, forwarding every call to the managed provider.</summary>
    private sealed class CountingProvider(int inner) : ILinearAlgebraProvider
    {
        private static ManagedProvider Managed => ManagedProvider.Instance;
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public string Name => "counting";
        public string Description => "counts GEMMs of one inner dimension, then runs the managed provider";

        public void Gemm(Op transA, Op transB, int m, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
        {
            if (k == inner) Interlocked.Increment(ref _calls);
            Managed.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }

        public void Syrk(int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc) => Managed.Syrk(n, k, alpha, a, lda, beta, c, ldc);
        public int Potrf(int n, Span<double> a, int lda) => Managed.Potrf(n, a, lda);
        public void Trsm(Op trans, int n, int nrhs, ReadOnlySpan<double> l, int ldl, Span<double> b, int ldb) => Managed.Trsm(trans, n, nrhs, l, ldl, b, ldb);
        public void Syevd(int n, Span<double> a, int lda, Span<double> w) => Managed.Syevd(n, a, lda, w);
    }

    [SkippableFact]
    public void SelectionPicksWhatGridSearchCvPicksOnDiabetes()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var diabetes = EmbeddedData.Diabetes();
        var data = new LabeledData(diabetes.X, diabetes.Y, EmbeddedData.DiabetesFeatureNames, ["progression"], TaskKind.Regression);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Gaussian(1), StandardizeFeatures = true };
        var grid = HyperGrid.Parse("gamma=0.01,0.03,0.1,0.3; ridge=0.01,0.1,1");
        var method = SelectionMethod.CrossValidation(5);
        var result = ModelSelection.Select(spec, grid, method, data, seed: 0);
        var folds = ModelSelection.Folds(data, method, 0);
        var foldMatrix = Matrix.Build(folds.Count, folds.Max(f => f.Length), (f, j) => j < folds[f].Length ? folds[f][j] : -1);
        var x = new Standardizer().FitTransform(data.X).Transformed;
        var theirs = Python.Evaluate("""
            from sklearn.kernel_ridge import KernelRidge
            from sklearn.model_selection import GridSearchCV
            n = M['x'].shape[0]
            cv = []
            for row in M['folds']:
                test = np.array([int(v) for v in row if v >= 0])
                cv.append((np.setdiff1d(np.arange(n), test), test))
            g = GridSearchCV(KernelRidge(kernel='rbf'), {'gamma': [0.01, 0.03, 0.1, 0.3], 'alpha': [0.01, 0.1, 1]},
                             cv=cv, scoring='neg_mean_squared_error').fit(M['x'], M['y'].ravel())
            emit([[g.best_params_['gamma'], g.best_params_['alpha']] + [-s for s in g.cv_results_['mean_test_score']]])
            """, Python.Encode(("x", x), ("y", data.Y), ("folds", foldMatrix)));
        Assert.Equal(theirs[0, 0], result.Best.Kernel!.Gamma);
        Assert.Equal(theirs[0, 1], result.Best.Ridge.Value);
        // sklearn's order: gamma outer, alpha inner (sorted keys: alpha, gamma → alpha varies slowest); compare by parameters.
        var pairs = new[] { 0.01, 0.1, 1 }.SelectMany(a => new[] { 0.01, 0.03, 0.1, 0.3 }.Select(g => (g, a))).ToArray();
        for (int i = 0; i < pairs.Length; i++)
        {
            var row = result.Rows.Single(r => r.Spec.Kernel!.Gamma == pairs[i].g && r.Spec.Ridge.Value == pairs[i].a);
            Assert.Equal(theirs[0, 2 + i], row.Score, 1e-8 * theirs[0, 2 + i]);
        }
    }

    /// <summary>The selection hands over the selected setting's training kernel (K of the preprocessed training set), and a
    /// fit given it equals the fit that computes it: the same predictions bit for bit for a classical kernel (the same kernel
    /// call), to rounding for a network whose selection took both kernels from one pass. Kernel settings scored after the
    /// best do not replace it (gamma=0.2 wins here though gamma=5 comes later).</summary>
    [Theory]
    [InlineData("classical")]
    [InlineData("network")]
    public void TheSelectedTrainingKernelIsKeptAndTheFitReusesIt(string kind)
    {
        var data = Regression(40, 3, 5);
        var test = Regression(9, 3, 6);
        var spec = kind == "classical"
            ? new ModelSpec { Kernel = ClassicalKernel.Gaussian(1), StandardizeFeatures = true, StandardizeTarget = true }
            : new ModelSpec { Architecture = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)"), StandardizeFeatures = true };
        var grid = HyperGrid.Parse(kind == "classical" ? "gamma=0.2,5; ridge=1e-2,0.1" : "get=nngp,ntk; ridge=1e-2,0.1");
        var result = ModelSelection.Select(spec, grid, SelectionMethod.CrossValidation(4), data, seed: 3);
        var k = Assert.IsType<Matrix>(result.BestTrainingKernel);
        if (kind == "classical") Assert.True(result.BestRow.Setting.Index < 2, $"expected a gamma=0.2 point to win (so a later kernel setting must not replace the kept one), got {result.BestRow.Label}");
        var x = new Standardizer().FitTransform(data.X).Transformed;
        var best = result.Best;
        var direct = best.Kernel is { } c ? c.Compute(x, null, ComputeOptions.Default)
            : best.Architecture!.ComputeKernels(x, null, best.Get, ComputeOptions.Default) is var r && best.Get == KernelOutputs.Ntk ? r.Ntk! : r.Nngp!;
        Assert.True(k.MaxAbsDifference(direct) <= 1e-12 * direct.Data.Max(Math.Abs), $"kept kernel differs by {k.MaxAbsDifference(direct):G3}");
        var kept = k.Clone();
        var reused = TabularModel.Fit(best, data, null, null, k).Predict(test.X).Mean;
        var computed = TabularModel.Fit(best, data).Predict(test.X).Mean;
        Assert.Equal(0.0, k.MaxAbsDifference(kept));   // read, not changed
        if (kind == "classical") Assert.Equal(computed.Data, reused.Data);
        else Assert.True(reused.MaxAbsDifference(computed) <= 1e-9 * Math.Max(1, computed.Data.Max(Math.Abs)));
        var wrong = Assert.Throws<ArgumentException>(() => TabularModel.Fit(best, data, null, null, new Matrix(39, 39)));
        Assert.Contains("39×39", wrong.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<Tangent.Engine.ProgressInfo> report) : IProgress<Tangent.Engine.ProgressInfo>
    {
        public void Report(Tangent.Engine.ProgressInfo value) => report(value);
    }
}
