using System.Globalization;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Tests.Models.Svm;

/// <summary>
/// Agreement with scikit-learn's <c>SVC(kernel='precomputed')</c> (libsvm) at a tight tolerance: support vectors, dual coefficients,
/// intercepts, decision values and predictions (skipped when python3-sklearn is absent). libsvm caches kernel rows in float32,
/// so the kernels given to both are rounded to float32 first: then the two solve the same problem.
/// </summary>
public sealed class SupportVectorSklearnTests
{
    private const double Agreement = 1e-6;

    private sealed record Reference(int[] Support, Matrix Dual, double[] Intercepts, Matrix Decision, int[] Predictions);

    // Fits sklearn's SVC on K (n×n) and labels, and returns its support_, dual_coef_, intercept_, decision_function(Kt) ('ovo') and predict(Kt).
    private static Reference Sklearn(Matrix k, int[] labels, Matrix kt, string arguments)
    {
        var flat = Python.Evaluate($"""
            from sklearn.svm import SVC
            y = M['y'].ravel().astype(int)
            clf = SVC(kernel='precomputed', tol=1e-10, decision_function_shape='ovo', {arguments}).fit(M['K'], y)
            dec = np.atleast_2d(clf.decision_function(M['Kt']).T).T.reshape(M['Kt'].shape[0], -1)
            emit(np.concatenate([[len(clf.support_), clf.dual_coef_.shape[0], len(clf.intercept_)], clf.support_, clf.dual_coef_.ravel(),
                                 clf.intercept_, dec.ravel(), clf.predict(M['Kt'])]))
            """, Python.Encode(("K", k), ("y", SvmTestData.Column(labels)), ("Kt", kt)));
        var v = flat.Data;
        int nsv = (int)v[0], rows = (int)v[1], pairs = (int)v[2], at = 3;
        var support = v.Skip(at).Take(nsv).Select(a => (int)a).ToArray();
        at += nsv;
        var dual = new Matrix(rows, nsv, v.Skip(at).Take(rows * nsv).ToArray());
        at += rows * nsv;
        var intercepts = v.Skip(at).Take(pairs).ToArray();
        at += pairs;
        var decision = new Matrix(kt.Rows, pairs, v.Skip(at).Take(kt.Rows * pairs).ToArray());
        at += kt.Rows * pairs;
        var predictions = v.Skip(at).Take(kt.Rows).Select(a => (int)a).ToArray();
        return new Reference(support, dual, intercepts, decision, predictions);
    }

    // The dual coefficients as rows over all n training rows (zero off the support), so that the two layouts compare directly.
    private static Matrix Dense(Matrix dual, IReadOnlyList<int> support, int n)
    {
        var d = new Matrix(dual.Rows, n);
        for (int r = 0; r < dual.Rows; r++)
            for (int s = 0; s < support.Count; s++) d[r, support[s]] = dual[r, s];
        return d;
    }

    private static void AssertAgrees(SupportVectorModel model, Reference reference, Matrix kt, string what)
    {
        int n = model.TrainingRows;
        var ours = Dense(model.DualCoefficients, model.SupportIndices, n);
        var theirs = Dense(reference.Dual, reference.Support, n);
        double scale = Math.Max(1, theirs.Data.Max(Math.Abs));
        Assert.True(ours.MaxAbsDifference(theirs) < Agreement * scale, $"{what}: dual coefficients differ by {ours.MaxAbsDifference(theirs):G3}");
        // The same support vectors, except ones whose coefficient is within the agreement of 0 in both.
        var only = model.SupportIndices.Except(reference.Support).Concat(reference.Support.Except(model.SupportIndices));
        foreach (int i in only)
            for (int r = 0; r < ours.Rows; r++)
                Assert.True(Math.Abs(ours[r, i]) < Agreement * scale && Math.Abs(theirs[r, i]) < Agreement * scale, $"{what}: row {i} is a support vector of only one");
        Assert.Equal(reference.Intercepts.Length, model.Intercepts.Count);
        for (int p = 0; p < reference.Intercepts.Length; p++)
            Assert.True(Math.Abs(model.Intercepts[p] - reference.Intercepts[p]) < Agreement * scale,
                $"{what}: intercept {p} is {model.Intercepts[p].ToString("R", CultureInfo.InvariantCulture)}, sklearn's {reference.Intercepts[p].ToString("R", CultureInfo.InvariantCulture)}");
        var decision = model.DecisionValuesFromKernel(kt);
        Assert.True(decision.MaxAbsDifference(reference.Decision) < 10 * Agreement * scale, $"{what}: decision values differ by {decision.MaxAbsDifference(reference.Decision):G3}");
        Assert.Equal(reference.Predictions, model.PredictFromKernel(kt));
        Assert.True(model.Converged);
    }

    private static (Matrix K, int[] Labels, Matrix Kt) Problem(int n, int k, int seed, double spread = 2.0, double gamma = 0.2)
    {
        var (x, labels) = SvmTestData.Blobs(n, k, 3, seed, spread);
        var (xt, _) = SvmTestData.Blobs(40, k, 3, seed + 1000, spread);
        return (Single(SvmTestData.Gaussian(x, null, gamma)), labels, Single(SvmTestData.Gaussian(xt, x, gamma)));
    }

    // Kernel values rounded to float32, which libsvm's row cache holds exactly, so both solve the same problem.
    private static Matrix Single(Matrix k)
    {
        foreach (ref double v in k.Data.AsSpan()) v = (float)v;
        return k;
    }

    [SkippableFact]
    public void BinaryAgreesWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (k, labels, kt) = Problem(120, 2, 1, spread: 1.0);
        var model = new SupportVectorClassifier { Tolerance = 1e-10 }.FitKernel(k, labels, 2);
        Assert.Single(model.Intercepts);
        Assert.Equal(1, model.DualCoefficients.Rows);
        AssertAgrees(model, Sklearn(k, labels, kt, "C=1.0"), kt, "binary");
    }

    [SkippableFact]
    public void ThreeAndFourClassesOneVsOneAgreeWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (k3, l3, kt3) = Problem(150, 3, 2);
        var m3 = new SupportVectorClassifier { Tolerance = 1e-10 }.FitKernel(k3, l3, 3);
        Assert.Equal(2, m3.DualCoefficients.Rows);
        AssertAgrees(m3, Sklearn(k3, l3, kt3, "C=1.0"), kt3, "3 classes");
        var (k4, l4, kt4) = Problem(160, 4, 3);
        var m4 = new SupportVectorClassifier { C = 10, Tolerance = 1e-10 }.FitKernel(k4, l4, 4);
        Assert.Equal(6, m4.Intercepts.Count);
        AssertAgrees(m4, Sklearn(k4, l4, kt4, "C=10.0"), kt4, "4 classes");
    }

    [SkippableFact]
    public void SixClassesWithGatheredRowsAgreeWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        // Each pair has a third of the rows, fewer than half: its rows are gathered into the cache, here a small one.
        var (k, labels, kt) = Problem(180, 6, 10);
        var model = new SupportVectorClassifier { C = 5, Tolerance = 1e-10, CacheMegabytes = 0.005 }.FitKernel(k, labels, 6);
        Assert.Equal(15, model.Intercepts.Count);
        AssertAgrees(model, Sklearn(k, labels, kt, "C=5.0"), kt, "6 classes");
    }

    [SkippableFact]
    public void ClassWeightsAgreeWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (k, labels, kt) = Problem(150, 3, 4);
        var weighted = new SupportVectorClassifier { C = 2, Tolerance = 1e-10, ClassWeights = [0.5, 3, 1] }.FitKernel(k, labels, 3);
        AssertAgrees(weighted, Sklearn(k, labels, kt, "C=2.0, class_weight={0: 0.5, 1: 3.0, 2: 1.0}"), kt, "class weights");
        // Imbalanced classes (about 70 %, 20 %, 10 %) with 'balanced' weights.
        int[] skewed = [.. labels.Select((c, i) => i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2)];
        var balanced = new SupportVectorClassifier { Tolerance = 1e-10, BalancedClassWeights = true }.FitKernel(k, skewed, 3);
        AssertAgrees(balanced, Sklearn(k, skewed, kt, "C=1.0, class_weight='balanced'"), kt, "balanced");
    }

    [SkippableFact]
    public void HardAndSoftMarginsAgreeWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        // Well separated blobs with a large C: a hard margin, every support vector free.
        var (k, labels, kt) = Problem(100, 3, 5, spread: 6.0, gamma: 0.1);
        var hard = new SupportVectorClassifier { C = 1e4, Tolerance = 1e-10 }.FitKernel(k, labels, 3);
        AssertAgrees(hard, Sklearn(k, labels, kt, "C=1e4"), kt, "C = 1e4");
        // A tiny C on overlapping blobs: every α at its bound C, so ρ is the midpoint of its bounds.
        var (ks, ls, kts) = Problem(100, 2, 6, spread: 0.5);
        var soft = new SupportVectorClassifier { C = 1e-3, Tolerance = 1e-10 }.FitKernel(ks, ls, 2);
        Assert.True(soft.DualCoefficients.Data.All(a => Math.Abs(Math.Abs(a) - 1e-3) < 1e-12 || a == 0));
        AssertAgrees(soft, Sklearn(ks, ls, kts, "C=1e-3"), kts, "C = 1e-3");
    }

    [SkippableFact]
    public void IndefiniteKernelAgreesWithScikitLearn()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (x, labels) = SvmTestData.Blobs(100, 3, 3, 7);
        var (xt, _) = SvmTestData.Blobs(30, 3, 3, 8);
        var k = Single(SvmTestData.Sigmoid(x, x, 0.3, -1.0));
        var kt = Single(SvmTestData.Sigmoid(xt, x, 0.3, -1.0));
        Assert.True(SymmetricEigen.Compute(k).Values[0] < -1e-3, "the sigmoid kernel should be indefinite here");
        var model = new SupportVectorClassifier { C = 0.5, Tolerance = 1e-10 }.FitKernel(k, labels, 3);
        AssertAgrees(model, Sklearn(k, labels, kt, "C=0.5"), kt, "sigmoid kernel");
    }

    [SkippableFact]
    public void OneVsRestAgreesWithScikitLearnsOneVsRestClassifier()
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var (k, labels, kt) = Problem(150, 4, 9);
        var model = new SupportVectorClassifier { C = 3, Tolerance = 1e-10, MultiClass = MultiClassStrategy.OneVsRest }.FitKernel(k, labels, 4);
        var reference = Python.Evaluate("""
            from sklearn.svm import SVC
            from sklearn.multiclass import OneVsRestClassifier
            y = M['y'].ravel().astype(int)
            ovr = OneVsRestClassifier(SVC(kernel='precomputed', C=3.0, tol=1e-10)).fit(M['K'], y)
            emit(np.vstack([ovr.decision_function(M['Kt']), [e.intercept_[0] for e in ovr.estimators_]]))
            """, Python.Encode(("K", k), ("y", SvmTestData.Column(labels)), ("Kt", kt)));
        var decision = model.DecisionValuesFromKernel(kt);
        for (int c = 0; c < 4; c++)
        {
            Assert.True(Math.Abs(model.Intercepts[c] - reference[kt.Rows, c]) < Agreement * 3, $"intercept of class {c}");
            for (int i = 0; i < kt.Rows; i++)
                Assert.True(Math.Abs(decision[i, c] - reference[i, c]) < 10 * Agreement * 3, $"decision value ({i + 1}, {c + 1})");
        }
        var argmax = Enumerable.Range(0, kt.Rows).Select(i => Enumerable.Range(0, 4).MaxBy(c => reference[i, c])).ToArray();
        Assert.Equal(argmax, model.PredictFromKernel(kt));
        Assert.Equal(4, model.DualCoefficients.Rows);
    }
}
