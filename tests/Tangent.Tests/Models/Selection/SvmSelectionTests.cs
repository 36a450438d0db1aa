using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models;

/// <summary>
/// Model selection with support-vector classifiers (docs/SELECTION.md, "Support-vector machines"): the model and c axes,
/// SVM points scored as the classifier fitted per fold, scikit-learn's GridSearchCV as the reference, and the refusals.
/// </summary>
public sealed class SvmSelectionTests
{
    private static readonly ModelSpec Laplace = new() { Kernel = ClassicalKernel.Laplace(0.5) };

    private static int[] Rest(int[] val, int n) => Enumerable.Range(0, n).Except(val).ToArray();

    /// <summary>Small whole-number features (−2..2) and three classes: a polynomial kernel of them is whole numbers, exact in
    /// float32 as libsvm caches it, so scikit-learn and Tangent solve the same problems.</summary>
    private static LabeledData IntegerClasses(int n, int seed)
    {
        var rng = new Random(seed);
        var x = Matrix.Build(n, 3, (_, _) => rng.Next(-2, 3));
        var raw = Enumerable.Range(0, n).Select(i =>
            x[i, 0] * x[i, 1] + (rng.NextDouble() < 0.15 ? 2 : 0) > 0 ? "b" : x[i, 2] >= 0 ? "a" : "c").ToArray();
        var enc = LabelEncoder.Fit(raw);
        return new LabeledData(x, enc.OneHot(raw), ["x1", "x2", "x3"], ["label"], TaskKind.Classification, enc, raw);
    }

    [Fact]
    public void ModelAndCAxesGiveEachModelOnlyItsOwnAxes()
    {
        var points = HyperGrid.Parse("gamma=0.1,1; model=krr,svm; ridge=1e-2,1; c=0.1,10").Expand(Laplace);
        Assert.Equal(["gamma=0.1 model=krr ridge=1e-2", "gamma=0.1 model=krr ridge=1", "gamma=0.1 model=svm c=0.1", "gamma=0.1 model=svm c=10",
                      "gamma=1 model=krr ridge=1e-2", "gamma=1 model=krr ridge=1", "gamma=1 model=svm c=0.1", "gamma=1 model=svm c=10"],
            points.Select(p => p.Label));
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], points.Select(p => p.KernelGroup));
        var svm = points[3].Spec;
        Assert.Equal((ClassifierKind.Svm, 10.0, 0.0), (svm.Model, svm.C, svm.Ridge.Value));
        Assert.Equal(ClassifierKind.KernelRegression, points[1].Spec.Model);
        // A base SVM: the c axis alone.
        Assert.Equal(["c=1", "c=100"], HyperGrid.Parse("c=1,100").Expand(Laplace with { Model = ClassifierKind.Svm }).Select(p => p.Label));
    }

    [Theory]
    [InlineData("model=svr", "Grid axis 'model': unknown model 'svr'; use krr (kernel regression) or svm")]
    [InlineData("c=0", "c must be > 0 and finite")]
    [InlineData("c=inf", "c must be > 0 and finite")]
    [InlineData("model=krr; c=1", "no point is an SVM; add model=svm")]
    [InlineData("model=svm; ridge=1", "every point is an SVM; add model=krr,svm, or remove 'ridge'")]
    [InlineData("model=svm; relridge=1", "remove 'relridge'")]
    public void ModelAndCAxesThatCannotApplyAreRefused(string text, string expected)
    {
        var e = Record.Exception(() => HyperGrid.Parse(text).Expand(Laplace));
        Assert.True(e is FormatException or ArgumentException, $"{text}: {e}");
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheSpecChecksCAndWhatAnSvmCannotHave()
    {
        Assert.Contains("C must be a finite number > 0, got 0", Assert.Throws<ArgumentException>(() => (Laplace with { C = 0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("got NaN", Assert.Throws<ArgumentException>(() => (Laplace with { C = double.NaN }).Validate()).Message, StringComparison.Ordinal);
        var arch = new ModelSpec { Architecture = Architecture.Parse("dense relu dense"), Model = ClassifierKind.Svm };
        arch.Validate();
        Assert.Contains("finite training time applies to kernel regression", Assert.Throws<ArgumentException>(() => (arch with { Time = 10 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("An SVM has no ridge", Assert.Throws<ArgumentException>(() => (arch with { Ridge = Tangent.Dynamics.Ridge.Absolute(0.1) }).Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SvmPointsScoreAsTheClassifierFittedOnEachFold()
    {
        var data = ModelSelectionTests.Classification(60, 5);
        var method = SelectionMethod.CrossValidation(3);
        var result = ModelSelection.Select(Laplace, HyperGrid.Parse("model=krr,svm; ridge=1e-2; c=0.1,10"), method, data, seed: 4);
        var folds = ModelSelection.Folds(data, method, 4);
        var classes = data.Labels!.Indices(data.RawLabels!);
        var k = Laplace.Kernel!.Compute(data.X);
        foreach (var row in result.Rows.Where(r => r.Spec.Model == ClassifierKind.Svm))
            for (int f = 0; f < folds.Count; f++)
            {
                var tr = Rest(folds[f], 60);
                var model = new SupportVectorClassifier { C = row.Spec.C }.FitKernel(k.Select(tr, tr), tr.Select(i => classes[i]).ToArray(), 3);
                var predicted = model.PredictFromKernel(k.Select(folds[f], tr));
                double accuracy = folds[f].Select((i, r) => predicted[r] == classes[i] ? 1.0 : 0).Average();
                Assert.Equal(accuracy, row.FoldScores[f], 12);
            }
        Assert.Equal(3, result.Rows.Count);
        Assert.Equal(result.Rows.Max(r => r.Score), result.BestRow.Score);
        Assert.Equal("accuracy", result.ScoreName);
    }

    [SkippableFact]
    public void SelectionOverCPicksWhatGridSearchCvOfAPrecomputedSvcPicks()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var data = IntegerClasses(90, 3);
        var spec = new ModelSpec { Kernel = ClassicalKernel.Polynomial(1, 1, 2), Model = ClassifierKind.Svm };
        double[] cs = [0.01, 0.1, 1, 10, 100];
        var method = SelectionMethod.CrossValidation(5);
        var result = ModelSelection.Select(spec, HyperGrid.Parse("c=" + string.Join(",", cs.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)))), method, data, seed: 1);
        var folds = ModelSelection.Folds(data, method, 1);
        var foldMatrix = Matrix.Build(folds.Count, folds.Max(f => f.Length), (f, j) => j < folds[f].Length ? folds[f][j] : -1);
        var k = spec.Kernel!.Compute(data.X);
        var classes = data.Labels!.Indices(data.RawLabels!);
        var theirs = Python.Evaluate("""
            from sklearn.svm import SVC
            from sklearn.model_selection import GridSearchCV
            n = M['K'].shape[0]
            cv = []
            for row in M['folds']:
                test = np.array([int(v) for v in row if v >= 0])
                cv.append((np.setdiff1d(np.arange(n), test), test))
            g = GridSearchCV(SVC(kernel='precomputed'), {'C': [0.01, 0.1, 1, 10, 100]}, cv=cv).fit(M['K'], M['y'].ravel().astype(int))
            emit([[g.best_params_['C']] + list(g.cv_results_['mean_test_score'])])
            """, Python.Encode(("K", k), ("y", Matrix.Build(classes.Length, 1, (i, _) => classes[i])), ("folds", foldMatrix)));
        Assert.Equal(theirs[0, 0], result.Best.C);
        for (int i = 0; i < cs.Length; i++) Assert.Equal(theirs[0, 1 + i], result.Rows[i].Score, 12);
        Assert.True(result.Rows.Select(r => r.Score).Distinct().Count() > 1, "the grid should not be flat");
    }

    [Fact]
    public void AnSvmOfRegressionTargetsOrOfTheEvidenceIsRefused()
    {
        var regression = ModelSelectionTests.Regression(20, 2, 1);
        var e = Assert.Throws<ArgumentException>(() => ModelSelection.Select(Laplace, HyperGrid.Parse("model=krr,svm; c=1"), SelectionMethod.CrossValidation(2), regression));
        Assert.Contains("classifies, but the targets are numeric (a regression); use model=krr", e.Message, StringComparison.Ordinal);
        var classes = ModelSelectionTests.Classification(20, 2);
        var evidence = Assert.Throws<ArgumentException>(() => ModelSelection.Select(Laplace with { Model = ClassifierKind.Svm }, HyperGrid.Parse("c=1"), SelectionMethod.Evidence, classes));
        Assert.Contains("an SVM has none: select it with cv:K, holdout:F or a split", evidence.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParallelScoringOfSvmAndRegressionPointsGivesTheSameSelectionAsSerial()
    {
        var data = ModelSelectionTests.Classification(72, 9);
        var spec = new ModelSpec { Architecture = Architecture.Parse("dense(w=1.4,b=0.1) relu dense(w=1.2,b=0.1)"), StandardizeFeatures = true };
        var grid = HyperGrid.Parse("get=nngp,ntk; model=krr,svm; ridge=1e-3,0.1; c=0.1,1,10");
        var method = SelectionMethod.CrossValidation(4);
        var serial = ModelSelection.Select(spec, grid, method, data, seed: 3, new ComputeOptions { MaxThreads = 1 });
        var parallel = ModelSelection.Select(spec, grid, method, data, seed: 3, new ComputeOptions { MaxThreads = 8 });
        Assert.Equal(serial.BestIndex, parallel.BestIndex);
        for (int i = 0; i < serial.Rows.Count; i++) Assert.Equal(serial.Rows[i].FoldScores, parallel.Rows[i].FoldScores);
    }

    [Fact]
    public void ScoreTiesBetweenSvmPointsGoToTheSmallerC()
    {
        // Two well-separated clusters: every C classifies all points right.
        var x = Matrix.Build(20, 1, (i, _) => i < 10 ? -5 - 0.1 * i : 5 + 0.1 * i);
        var raw = Enumerable.Range(0, 20).Select(i => i < 10 ? "0" : "1").ToArray();
        var enc = LabelEncoder.Fit(raw);
        var data = new LabeledData(x, enc.OneHot(raw), ["x"], ["y"], TaskKind.Classification, enc, raw);
        var result = ModelSelection.Select(new ModelSpec { Kernel = ClassicalKernel.Gaussian(0.5), Model = ClassifierKind.Svm },
            HyperGrid.Parse("c=10,1,100"), SelectionMethod.CrossValidation(2), data);
        Assert.All(result.Rows, r => Assert.Equal(1.0, r.Score));
        Assert.Equal(1, result.Best.C);
    }
}
