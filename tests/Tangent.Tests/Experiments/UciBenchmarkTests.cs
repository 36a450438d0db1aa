using System.Globalization;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Experiments;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;
using Tangent.Tests.Data;

namespace Tangent.Tests.Experiments;

public sealed class UciBenchmarkTests
{
    /// <summary>
    /// Arora et al.'s NTK.kernel_value_batch, written out here independently of the library: S₀ = X·Xᵀ; for dep = 0..4
    /// and fix = 0..dep, Θ[dep][fix] = Σ_{l=fix}^{dep} S_l·Π_{l'=l}^{dep−1} Ṡ_{l'}, with the ReLU arc-cosine maps
    /// S_{l+1} = (sin θ + (π − θ) cos θ)·√(S_ll·S_l'l')/(2π) and Ṡ_l = (π − θ)/(2π). Also returns the NNGPs S_dep.
    /// </summary>
    private static (Matrix[,] Ntk, Matrix[] Nngp) AuthorsKernels(Matrix x, int depths)
    {
        int n = x.Rows;
        var ntk = new Matrix[depths, depths];
        var nngp = new Matrix[depths];
        for (int fix = 0; fix < depths; fix++)
        {
            var s = new double[n, n];
            var h = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < x.Cols; c++) s[i, j] += x[i, c] * x[j, c];
            for (int dep = 0; dep < depths; dep++)
            {
                if (fix <= dep)
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) h[i, j] += s[i, j];
                ntk[dep, fix] = Matrix.Build(n, n, (i, j) => h[i, j]);
                if (fix == 0) nngp[dep] = Matrix.Build(n, n, (i, j) => s[i, j]);
                var next = new double[n, n];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double p = Math.Max(Math.Sqrt(s[i, i] * s[j, j]), 1e-9);
                        double rho = Math.Clamp(s[i, j] / p, -1, 1), theta = Math.Acos(rho);
                        next[i, j] = (rho * (Math.PI - theta) + Math.Sqrt(1 - rho * rho)) * p / (2 * Math.PI);
                        h[i, j] *= (Math.PI - theta) / (2 * Math.PI);
                    }
                s = next;
            }
        }
        return (ntk, nngp);
    }

    private static void AssertClose(Matrix expected, Matrix actual, double relative, string what)
    {
        double scale = expected.Data.Max(Math.Abs);
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= relative * scale,
                $"{what}: entry {i} is {actual.Data[i]:R}, the recursion gives {expected.Data[i]:R}");
    }

    [Fact]
    public void LibraryKernelsEqualTheAuthorsRecursionForEveryDepthAndFrozenCount()
    {
        var rng = new Random(7);
        var x = Matrix.Build(12, 5, (_, _) => rng.NextDouble() * 4 - 2);
        for (int c = 0; c < 5; c++) { x[10, c] = x[0, c]; x[11, c] = -x[1, c]; }   // θ = 0 and θ = π
        var (ntk, nngp) = AuthorsKernels(x, UciMethods.MaxDepth + 1);
        int pairs = 0;
        foreach (var kernel in UciMethods.NtkKernels())
        {
            var parts = kernel.Key.Split(' ');
            int dep = int.Parse(parts[1]["dep=".Length..], CultureInfo.InvariantCulture), fix = int.Parse(parts[2]["fix=".Length..], CultureInfo.InvariantCulture);
            AssertClose(ntk[dep, fix], kernel.Compute(x, ComputeOptions.Default), 1e-12, kernel.Key);
            pairs++;
        }
        Assert.Equal(15, pairs);
        foreach (var (kernel, dep) in UciMethods.NngpKernels().Select((k, i) => (k, i)))
            AssertClose(nngp[dep], kernel.Compute(x, ComputeOptions.Default), 1e-12, kernel.Key);
        // dep = 0 is the linear kernel X·Xᵀ.
        AssertClose(LinearAlgebra.Multiply(x, x, Op.None, Op.Transpose), UciMethods.Neural(x, 0, 0, KernelOutputs.Ntk, ComputeOptions.Default), 1e-14, "linear");
    }

    /// <summary>A grid whose validation hits are scripted: kernel i is the constant matrix i + 1, and the classifier gets the
    /// first hits[i][r] validation rows right. It records every fit (kernel value, regularisation, training rows).</summary>
    private sealed class Scripted(int[][] hits)
    {
        public List<(double Kernel, double Reg, int Train, int Test)> Calls { get; } = [];

        public UciMethod Method(string name = "scripted") => new(name, "Scripted",
            hits.Select((_, i) => new UciKernel($"{name} k{i}", $"k={i}", (x, _) => Matrix.Build(x.Rows, x.Rows, (_, _) => i + 1))).ToArray(),
            "r", [0.5, 1.5, 2.5], Classify);

        private int[][] Classify(UciFit fit, IReadOnlyList<double> regs, bool parallel, CancellationToken ct)
        {
            int ki = (int)fit.TrainKernel[0, 0] - 1;
            lock (Calls)
                foreach (double r in regs) Calls.Add((ki, r, fit.TrainKernel.Rows, fit.TestTrainKernel.Rows));
            return regs.Select(r =>
            {
                int ri = (int)r;
                int right = fit.TestTrainKernel.Rows == 10 ? hits[ki][ri] : fit.TestTrainKernel.Rows;   // validation: scripted; test folds: all right
                return Enumerable.Range(0, fit.TestTrainKernel.Rows).Select(i => i < right ? 0 : 1).ToArray();
            }).ToArray();
        }
    }

    private static UciDataset Toy()
    {
        var x = Matrix.Build(20, 2, (i, j) => i + j);
        var labels = new int[20];   // class 0 everywhere: a prediction of 0 is right
        var even = Enumerable.Range(0, 20).Where(i => i % 2 == 0).ToArray();
        var odd = Enumerable.Range(0, 20).Where(i => i % 2 == 1).ToArray();
        var folds = Enumerable.Range(0, 4).Select(f => new UciSplit(Enumerable.Range(0, 20).Where(i => i % 4 != f).ToArray(), Enumerable.Range(0, 20).Where(i => i % 4 == f).ToArray())).ToArray();
        return new UciDataset("toy", x, labels, 2, new UciSplit(even, odd), folds);
    }

    [Fact]
    public void SelectionKeepsTheFirstBestInGridOrderAndTestsItOnEveryFold()
    {
        var s = new Scripted([[2, 7, 7], [7, 3, 0]]);   // 7 hits three times: the first, (k0, r=1.5), wins
        var r = UciBenchmark.RunSet(Toy(), [s.Method()]).Methods.Single();
        Assert.Equal("k=0 r=1.5", r.Choice);
        Assert.Equal(0.7, r.ValidationAccuracy);
        Assert.Equal([1.0, 1.0, 1.0, 1.0], r.FoldAccuracies);
        var folds = s.Calls.Where(c => c.Test == 5).ToArray();
        Assert.Equal(4, folds.Length);
        Assert.All(folds, c => Assert.Equal((0.0, 1.5, 15), (c.Kernel, c.Reg, c.Train)));   // the chosen kernel and value, 15 training rows
        Assert.Equal(6, s.Calls.Count(c => c.Train == 10));   // selection: 2 kernels × 3 values on the 10 training rows

        var later = new Scripted([[2, 3, 3], [3, 9, 9]]);   // a strictly better later point wins
        Assert.Equal("k=1 r=1.5", UciBenchmark.RunSet(Toy(), [later.Method()], parallelGrid: true).Methods.Single().Choice);
    }

    [Fact]
    public void MethodsSharingAKernelKeyComputeItOnce()
    {
        int computed = 0;
        var kernel = new UciKernel("shared", "k", (x, _) => { Interlocked.Increment(ref computed); return Matrix.Build(x.Rows, x.Rows, (i, j) => i == j ? 1 : 0); });
        var a = new UciMethod("a", "A", [kernel], "ridge", [0.1], UciMethods.KernelRidge);
        var b = new UciMethod("b", "B", [kernel], "ridge", [1], UciMethods.KernelRidge);
        var r = UciBenchmark.RunSet(Toy(), [a, b]);
        Assert.Equal(1, computed);
        Assert.Equal(["a", "b"], r.Methods.Select(m => m.Method));
    }

    [Fact]
    public void KernelRidgeClassifierMatchesTheClosedForm()
    {
        var rng = new Random(3);
        var x = Matrix.Build(9, 3, (_, _) => rng.NextDouble() * 2 - 1);
        var k = LinearAlgebra.Multiply(x, x, Op.None, Op.Transpose);
        var tr = new[] { 0, 1, 2, 3, 4, 5 };
        var te = new[] { 6, 7, 8 };
        int[] labels = [0, 1, 2, 0, 1, 2];
        var fit = new UciFit(k.Select(tr, tr), labels, 3, k.Select(te, tr));
        var got = UciMethods.KernelRidge(fit, [0.01, 10], false, default);
        double mean = tr.Average(i => k[i, i]);
        foreach (var (r, p) in new[] { 0.01, 10 }.Zip(got))
        {
            var kr = fit.TrainKernel.Clone();
            kr.AddToDiagonal(r * mean);
            var y = Matrix.Build(6, 3, (i, c) => (labels[i] == c ? 1 : 0) - 1.0 / 3);
            var scores = LinearAlgebra.Multiply(fit.TestTrainKernel, LinearAlgebra.Cholesky(kr).Solve(y));
            Assert.Equal(Enumerable.Range(0, 3).Select(i => Enumerable.Range(0, 3).MaxBy(c => scores[i, c])).ToArray(), p);
        }
    }

    /// <summary>Arora et al.'s UCI.py selection and 4-fold test loop with their tools.svm and tools.ridge_regression (scikit-learn),
    /// on kernels given as K0..K(m−1); emits the chosen (kernel, value) indices, the validation accuracy and the 4 fold accuracies.</summary>
    private const string AuthorsProtocol = """
        from sklearn.kernel_ridge import KernelRidge
        from sklearn.svm import SVC
        m = int(M['m'][0, 0]); c = int(M['c'][0, 0]); y = M['y'][0].astype(int); svm = M['svm'][0, 0] == 1
        idx = lambda name: M[name][0].astype(int)
        tr, val = idx('tr'), idx('val')
        R = list(M['R'][0])
        def ridge_regression(K1, K2, y1, y2, alpha, c):
            clf = KernelRidge(kernel='precomputed', alpha=alpha)
            clf.fit(K1, np.eye(c)[y1] - 1.0 / c)
            z = clf.predict(K2).argmax(axis=1)
            return 1.0 * np.sum(z == y2) / K2.shape[0]
        def svc(K1, K2, y1, y2, C, c):
            clf = SVC(kernel='precomputed', C=C, cache_size=100000)
            clf.fit(K1, y1)
            return 1.0 * np.sum(clf.predict(K2) == y2) / K2.shape[0]
        def alg(K, a, b, r):
            # the ridge is relative to the mean diagonal of the training block (UciMethods.RelativeRidgeGrid)
            if svm: return svc(K[a][:, a], K[b][:, a], y[a], y[b], r, c)
            return ridge_regression(K[a][:, a], K[b][:, a], y[a], y[b], r * np.mean(np.diag(K[a][:, a])), c)
        best_acc, best = 0.0, (0, 0)
        for ki in range(m):
            for ri, r in enumerate(R):
                acc = alg(M['K%d' % ki], tr, val, r)
                if acc > best_acc:
                    best_acc, best = acc, (ki, ri)
        K = M['K%d' % best[0]]
        folds = [alg(K, idx('ftr%d' % f), idx('fte%d' % f), R[best[1]]) for f in range(4)]
        emit([best[0], best[1], best_acc] + folds)
        """;

    private static void AssertSameAsTheAuthors(UciMethod method, UciDataset set)
    {
        var mine = UciBenchmark.RunSet(set, [method]).Methods.Single();
        var items = new List<(string, Matrix)>
        {
            ("m", Row(method.Kernels.Count)), ("c", Row(set.ClassCount)), ("y", Row([.. set.Labels.Select(l => (double)l)])),
            ("tr", Rows(set.Validation.Train)), ("val", Rows(set.Validation.Test)), ("R", Row([.. method.Regularization])),
            ("svm", Row(method.Classifier == UciMethods.SupportVectorMachine ? 1 : 0)),
        };
        for (int i = 0; i < method.Kernels.Count; i++) items.Add(($"K{i}", method.Kernels[i].Compute(set.X, ComputeOptions.Default)));
        for (int f = 0; f < 4; f++) { items.Add(($"ftr{f}", Rows(set.Folds[f].Train))); items.Add(($"fte{f}", Rows(set.Folds[f].Test))); }
        var py = Python.Evaluate(AuthorsProtocol, Python.Encode([.. items]));
        string where = $"{method.Name} on {set.Name}";
        Assert.True(method.Label((int)py[0, 0], (int)py[0, 1]) == mine.Choice, $"{where}: scikit-learn chose {method.Label((int)py[0, 0], (int)py[0, 1])}, Tangent {mine.Choice}");
        Assert.True(Math.Abs(py[0, 2] - mine.ValidationAccuracy) < 1e-12, $"{where}: validation {py[0, 2]} against {mine.ValidationAccuracy}");
        for (int f = 0; f < 4; f++)
            Assert.True(Math.Abs(py[0, 3 + f] - mine.FoldAccuracies[f]) < 1e-12, $"{where}: fold {f + 1} {py[0, 3 + f]} against {mine.FoldAccuracies[f]}");
    }

    [SkippableFact]
    public void ProtocolMatchesTheAuthorsProcedureInScikitLearnOnRealSets()
    {
        string? archive = UciTestSets.SharedArchive(out string reason);
        Skip.If(archive is null, reason);
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        using var t = new TempDir();
        string root = UciTestSets.Extract(archive!, t.Path, "iris", "fertility", "seeds");
        foreach (string name in new[] { "iris", "fertility", "seeds" })
        {
            var set = Uci90.Load(root, name);
            AssertSameAsTheAuthors(UciMethods.NtkSvm(), set);
            AssertSameAsTheAuthors(UciMethods.NtkKrr(), set);
        }
        var iris = Uci90.Load(root, "iris");
        AssertSameAsTheAuthors(UciMethods.NngpSvm(), iris);
        AssertSameAsTheAuthors(UciMethods.GaussianSvm(), iris);
    }

    [Fact]
    public void KernelRegressionScoresEqualModelSelectionOnTheSameSplit()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.Path, "toy", 60, 3, 3, 11);
        var set = Uci90.Load(t.Path, "toy");
        Assert.Equal(set.Count, set.Validation.Train.Length + set.Validation.Test.Length);   // line 1 and line 2 cover every row
        var data = new LabeledData(set.X, Preprocessing.OneHot(set.Labels, set.ClassCount), ["f1", "f2", "f3"], ["class"], TaskKind.Classification);
        var ridges = UciMethods.RelativeRidgeGrid;
        var grid = HyperGrid.Parse($"arch={UciMethods.Architecture(1)} | {UciMethods.Architecture(2)}; fix=0,1; get=ntk; relridge={string.Join(",", ridges.Select(r => r.ToString("R", CultureInfo.InvariantCulture)))}");
        var selection = ModelSelection.Select(new ModelSpec { Architecture = UciMethods.Architecture(1) }, grid, SelectionMethod.Split(set.Validation.Test), data);
        Assert.Equal(2 * 2 * ridges.Count, selection.Rows.Count);
        int row = 0;
        foreach (int dep in new[] { 1, 2 })
            foreach (int fix in new[] { 0, 1 })
            {
                var k = UciMethods.Neural(set.X, dep, fix, KernelOutputs.Ntk, ComputeOptions.Default);
                var fit = new UciFit(k.Select(set.Validation.Train, set.Validation.Train), [.. set.Validation.Train.Select(i => set.Labels[i])],
                    set.ClassCount, k.Select(set.Validation.Test, set.Validation.Train));
                foreach (var p in UciMethods.KernelRidge(fit, ridges, false, default))
                {
                    double accuracy = set.Validation.Test.Where((r, i) => p[i] == set.Labels[r]).Count() / (double)set.Validation.Test.Length;
                    Assert.True(Math.Abs(selection.Rows[row].Score - accuracy) < 1e-12, $"{selection.Rows[row].Label}: model selection {selection.Rows[row].Score}, the benchmark {accuracy}");
                    row++;
                }
            }
    }

    private static Matrix Row(params double[] v) => new(1, v.Length, v);

    private static Matrix Rows(int[] v) => Row([.. v.Select(i => (double)i)]);

    [Fact]
    public void AnInterruptedRunKeepsFinishedSetsAndTheRerunResumesFromThem()
    {
        using var t = new TempDir();
        string data = t.File("uci90"), output = t.File("out");
        UciTestSets.Make(data, "alpha", 40, 3, 2, 1);
        UciTestSets.Make(data, "beta", 48, 4, 3, 2);
        UciTestSets.Make(data, "gamma", 36, 2, 2, 3);
        var settings = new UciBenchmarkSettings { Methods = [UciMethods.NtkKrr()], Parallelism = UciParallelism.GridPoints };
        using var cts = new CancellationTokenSource();
        var finished = new List<string>();
        Assert.ThrowsAny<OperationCanceledException>(() => UciBenchmark.Run(data, output, settings, (s, _) => { finished.Add(s.Name); cts.Cancel(); }, cts.Token));
        Assert.Single(finished);
        string setsDir = Path.Combine(output, UciBenchmark.SetsFolder);
        Assert.Equal([finished[0] + ".txt"], Directory.GetFiles(setsDir).Select(Path.GetFileName));   // one whole file, no temporary left
        string before = File.ReadAllText(Path.Combine(setsDir, finished[0] + ".txt"));

        var resumed = new List<(string, bool)>();
        var run = UciBenchmark.Run(data, output, settings, (s, r) => resumed.Add((s.Name, r)));
        Assert.Equal(1, run.Resumed);
        Assert.Contains((finished[0], true), resumed);
        Assert.Equal(2, resumed.Count(x => !x.Item2));
        Assert.Equal(before, File.ReadAllText(Path.Combine(setsDir, finished[0] + ".txt")));   // read back, not rewritten
        Assert.Equal(["alpha", "beta", "gamma"], run.Sets.Select(s => s.Name));

        // The same results as a run from scratch (the read-back set included).
        var fresh = UciBenchmark.Run(data, t.File("fresh"), settings);
        foreach (var (a, b) in run.Sets.Zip(fresh.Sets))
        {
            Assert.Equal(b.Methods[0].Choice, a.Methods[0].Choice);
            Assert.Equal(b.Methods[0].FoldAccuracies, a.Methods[0].FoldAccuracies);
        }

        // Another grid for a method recomputes it; a third run then reads everything back.
        var other = settings with { Methods = [UciMethods.NtkKrr() with { Regularization = [0.5] }] };
        Assert.Equal(0, UciBenchmark.Run(data, output, other).Resumed);
        Assert.Equal(3, UciBenchmark.Run(data, output, other).Resumed);
    }

    [Fact]
    public void TheOutputFolderMustBeNewEmptyOrTheBenchmarks()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        t.Write("mine.txt", "a user's file");
        var e = Assert.Throws<IOException>(() => UciBenchmark.Run(t.File("uci90"), t.Path, new UciBenchmarkSettings()));
        Assert.Contains("not empty and was not written by `tangent benchmark uci`", e.Message);
        Assert.Equal(["mine.txt"], Directory.GetFiles(t.Path).Select(Path.GetFileName));
        Assert.Contains("it is a file", Assert.Throws<IOException>(() => UciBenchmark.EnsureWritable(t.File("mine.txt"))).Message);
    }

    [Fact]
    public void AMalformedResultFileNamesItsRowAndTheFix()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        var settings = new UciBenchmarkSettings { Methods = [UciMethods.NtkKrr()] };
        UciBenchmark.Run(t.File("uci90"), t.File("out"), settings);
        string file = Path.Combine(t.File("out"), UciBenchmark.SetsFolder, "alpha.txt");
        File.WriteAllText(file, File.ReadAllText(file).Replace("validation = ", "validation = x", StringComparison.Ordinal));
        var e = Assert.Throws<DataFormatException>(() => UciBenchmark.Run(t.File("uci90"), t.File("out"), settings));
        Assert.Contains("alpha.txt', row ", e.Message);
        Assert.Contains("is not a number", e.Message);
        Assert.Contains("delete it to compute that data set again", e.Message);
    }

    [Fact]
    public void UnknownSetsAndMethodsAreNamed()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        var e = Assert.Throws<ArgumentException>(() => UciBenchmark.SelectSets(t.File("uci90"), ["alpah"]));
        Assert.Contains("'alpah' is not a data set", e.Message);
        Assert.Contains("did you mean 'alpha'", e.Message);
        Assert.Equal(["alpha"], UciBenchmark.SelectSets(t.File("uci90"), ["alpha", "alpha"]));
        Assert.Contains("Unknown method 'ntk'", Assert.Throws<ArgumentException>(() => UciMethods.Parse(["ntk"])).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => UciMethods.Parse(["ntk-krr", "NTK-KRR"])).Message);
    }

    [Fact]
    public void TheReportHasTheTablesPlotsAndCsv()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        UciTestSets.Make(t.File("uci90"), "beta", 48, 4, 3, 2);
        UciTestSets.Make(t.File("uci90"), "delta", 36, 2, 2, 4);
        var methods = new[] { UciMethods.NtkKrr(), UciMethods.NtkKrr() with { Name = "ntk-krr-big", Title = "NTK-KRR big ridge", Regularization = [10] } };
        var run = UciBenchmark.Run(t.File("uci90"), t.File("out"), new UciBenchmarkSettings { Methods = methods });
        var delgado = DelgadoResults.Parse(new StringReader("problema svm_C parRF_caret\nalpha 90 80\nBETA 70 75.5\n"), "inline");
        var report = UciBenchmarkReport.Build(run, methods, delgado, [("data", "here")]);
        string readme = report.Save(t.File("report"));
        string text = File.ReadAllText(readme);
        Assert.Contains("| NTK-KRR |", text);
        Assert.Contains("| RF (Delgado) | 77.75 |", text);   // over the 2 sets with Delgado rows: (80 + 75.5)/2
        Assert.Contains("No row in Delgado's table (not matched by name, case or '-'/'_'): delta.", text);
        Assert.Contains("Friedman test: χ² = ", text);
        Assert.Contains("| alpha | 40 | 3 | 2 |", text);
        Assert.Contains("- data: `here`", text);
        foreach (string f in new[] { "results.csv", "summary.csv", "settings.txt", "uci-ntk-krr-vs-rf.png", "uci-ranks.png" })
            Assert.True(File.Exists(t.File(Path.Combine("report", f))), f);
        var csv = File.ReadAllLines(t.File(Path.Combine("report", "results.csv")));
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("set,rows,features,classes,ntk-krr_accuracy,ntk-krr_validation,ntk-krr_choice,", csv[0]);
        Assert.EndsWith(",rf_delgado,svm_delgado,kernel_seconds", csv[0]);
        var alpha = csv[1].Split(',');
        Assert.Equal("alpha", alpha[0]);
        Assert.Equal(100 * run.Sets[0].Methods[0].TestAccuracy, double.Parse(alpha[4], CultureInfo.InvariantCulture));
        Assert.Equal(["80", "90"], alpha[^3..^1]);

        var summary = UciBenchmarkReport.Summarize(run.Sets, methods, delgado);
        Assert.Equal(["alpha", "beta"], summary.CommonSets);
        Assert.Equal(4, summary.Columns.Count);
        Assert.Equal(3, summary.Columns[0].Sets);
        Assert.Equal(2, summary.Columns[2].Sets);
        Assert.Equal(10, summary.Columns.Sum(c => c.AverageRank!.Value), 12);   // ranks 1..4 on each set sum to 10
    }

    [Fact]
    public void FriedmanRanksAveragesTiesAndMatchesScipy()
    {
        Assert.Equal([1, 2.5, 2.5, 4], Friedman.Ranks([90, 80, 80, 70]));
        // scipy.stats.friedmanchisquare([90,85,70,88], [80,85,80,87], [70,60,90,86]) = (1.7333333333333334, 0.4203503845086819)
        var f = Friedman.Test([[90, 80, 70], [85, 85, 60], [70, 80, 90], [88, 87, 86]]);
        Assert.Equal([1.625, 1.875, 2.5], f.AverageRanks);
        Assert.Equal(1.7333333333333334, f.Statistic, 12);
        Assert.Equal(2, f.DegreesOfFreedom);
        Assert.Equal(0.4203503845086819, f.PValue, 12);
        // scipy.stats.chi2.sf
        Assert.Equal(0.07523524614651217, Friedman.ChiSquareSurvival(10, 5), 13);
        Assert.Equal(0.05, Friedman.ChiSquareSurvival(3.841458820694124, 1), 13);
        Assert.Equal(0.9998999626177479, Friedman.ChiSquareSurvival(0.3, 7), 13);
        Assert.Equal(5.878230727906921e-13 / 5.878230727906921e-13, Friedman.ChiSquareSurvival(60, 3) / 5.878230727906921e-13, 12);   // relative
        Assert.Equal(0, Friedman.Test([[1, 1], [2, 2]]).Statistic);
        Assert.Contains("row 2 has 1 scores", Assert.Throws<ArgumentException>(() => Friedman.Test([[1, 2], [1]])).Message, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void TheArchiveIsExtractedIntoATemporaryFolderThatIsRemoved()
    {
        string? archive = UciTestSets.SharedArchive(out string reason);
        Skip.If(archive is null, reason);
        string root;
        using (var folder = UciDataFolder.Open(archive!))
        {
            Assert.True(folder.Extracted);
            root = folder.Root;
            Assert.Equal(90, Uci90.List(root).Count);
            Assert.Contains(Path.GetDirectoryName(root)!, TemporaryFiles.Process.Paths);   // an interrupt would delete it
        }
        Assert.False(Directory.Exists(root));
        Assert.DoesNotContain(Path.GetDirectoryName(root)!, TemporaryFiles.Process.Paths);
    }

    [Fact]
    public void AFolderIsUsedAsItIsAndABadArchiveSaysToExtractIt()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        using (var direct = UciDataFolder.Open(t.File("uci90"))) Assert.Equal(t.File("uci90"), direct.Root);
        using (var parent = UciDataFolder.Open(t.Path)) Assert.Equal(t.File("uci90"), parent.Root);   // the folder holding uci90/
        Assert.False(UciDataFolder.Open(t.Path).Extracted);
        string bad = t.Write("uci90.txz", "not an archive");
        var e = Assert.Throws<IOException>(() => UciDataFolder.Open(bad));
        Assert.Contains("extract it by hand (tar xJf", e.Message);
        Assert.Contains("does not exist", Assert.Throws<DirectoryNotFoundException>(() => UciDataFolder.Open(t.File("absent"))).Message);
        Directory.CreateDirectory(t.File("empty"));
        Assert.Contains("holds no UCI data set", Assert.Throws<ArgumentException>(() => UciDataFolder.Open(t.File("empty"))).Message);
    }
}
