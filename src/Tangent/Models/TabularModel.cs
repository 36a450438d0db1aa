using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// What a <see cref="TabularModel"/> predicts for a set of inputs (docs/MODELS.md).
/// </summary>
/// <param name="Mean">The prediction, n*×t in the original target units (regression), or the raw class scores n*×k (classification:
/// the regression of the one-hot code, the same matrix as <see cref="Scores"/>); for an SVM the decision values of its binary
/// machines (<see cref="SupportVectorModel.DecisionValuesFromKernel"/>: n*×1 for two classes, n*×pairs for more).</param>
/// <param name="Labels">The decoded classes (the column of the largest score; an SVM's vote), classification only.</param>
/// <param name="Scores">The raw class scores (not probabilities), classification only: the same matrix as <see cref="Mean"/>.</param>
/// <param name="Variance">The GP predictive variance including the observation noise λ, n*×t in squared target units,
/// only from <see cref="TabularModel.PredictWithUncertainty(Matrix, ComputeOptions?)"/>.</param>
public sealed record TabularPrediction(Matrix Mean, IReadOnlyList<string>? Labels = null, Matrix? Scores = null, Matrix? Variance = null);

/// <summary>
/// A fitted kernel model of a table (docs/MODELS.md): the <see cref="ModelSpec"/>, the preprocessing fitted on the
/// training data (feature standardization; target standardization for regression; the class code for
/// classification), the training inputs after preprocessing and the dual coefficients α, so that the prediction
/// is f(X*) = K(X*, X)·α mapped back to the target units. Immutable; <see cref="Save"/> / <see cref="Load"/> keep it in a
/// <c>.tgm</c> file.
/// </summary>
/// <remarks>
/// At t = ∞ α = (K + λI)⁻¹·Y (kernel ridge regression, docs/MATH.md §1); for an architecture at a finite time t
/// α = V·diag((1 − e^{−λᵢτ})/λᵢ)·Vᵀ·Y, the infinite-ensemble mean of docs/MATH.md §4, so the mean is linear in the
/// test-train kernel in both cases. Classification regresses the one-hot code (no centring or shift, as the
/// classification experiment) and decodes the largest score with <see cref="LabelEncoder.Decode"/>. A classification
/// spec with <see cref="ModelSpec.Model"/> = <see cref="ClassifierKind.Svm"/> is a kernel C-SVC instead
/// (<see cref="SupportVectorClassifier"/> on the same training kernel, docs/SVM.md): the model keeps the support vectors'
/// inputs and their coefficients, and predicts from K(X*, support vectors).
/// </remarks>
public sealed partial class TabularModel
{
    private readonly Matrix _train;
    private readonly Matrix _alpha;
    private readonly int _trainCount;
    private readonly object _factorLock = new();
    private Cholesky? _factor;
    private bool _factorTried;

    private TabularModel(ModelSpec spec, TaskKind task, IReadOnlyList<string> featureNames, IReadOnlyList<string> targetNames,
        LabelEncoder? labels, FittedStandardizer? features, FittedStandardizer? targets, Matrix train, Matrix alpha, double ridgeValue,
        SupportVectorModel? svm = null, SupportVectorClassifier? svmSettings = null, int? trainCount = null)
    {
        Spec = spec;
        Task = task;
        FeatureNames = featureNames;
        TargetNames = targetNames;
        Labels = labels;
        FeatureScaler = features;
        TargetScaler = targets;
        _train = train;
        _alpha = alpha;
        RidgeValue = ridgeValue;
        Svm = svm;
        SvmSettings = svmSettings;
        _trainCount = trainCount ?? train.Rows;
    }

    /// <summary>The specification it was fitted with.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Regression or classification.</summary>
    public TaskKind Task { get; }

    /// <summary>The names of the feature columns, in the order the model expects them.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The names of the target columns (one for classification).</summary>
    public IReadOnlyList<string> TargetNames { get; }

    /// <summary>The class code (classification), else null.</summary>
    public LabelEncoder? Labels { get; }

    /// <summary>The feature standardization fitted on the training data, or null when it is off.</summary>
    public FittedStandardizer? FeatureScaler { get; }

    /// <summary>The target standardization fitted on the training targets (regression), or null when it is off.</summary>
    public FittedStandardizer? TargetScaler { get; }

    /// <summary>The absolute ridge λ added to the training kernel's diagonal (for a GP: the observation-noise variance in kernel units); 0 for an SVM.</summary>
    public double RidgeValue { get; }

    /// <summary>The fitted support-vector classifier when <see cref="ModelSpec.Model"/> is <see cref="ClassifierKind.Svm"/>, else null. It was
    /// fitted on the precomputed training kernel (its <see cref="SupportVectorModel.SupportIndices"/> are training rows); predict through this model.</summary>
    public SupportVectorModel? Svm { get; }

    /// <summary>The SVM's settings (<see cref="SupportVectorClassifier.C"/> = <see cref="ModelSpec.C"/>, class weights, tolerance, strategy) when
    /// <see cref="Svm"/> is set, else null.</summary>
    public SupportVectorClassifier? SvmSettings { get; }

    /// <summary>Number of training samples.</summary>
    public int TrainCount => _trainCount;

    /// <summary>The training inputs after preprocessing (a copy); for an SVM only the support vectors' rows, in <see cref="SupportVectorModel.SupportIndices"/> order.</summary>
    public Matrix TrainingInputs => _train.Clone();

    /// <summary>The dual coefficients α, n×t (or n×k), in standardized target units (a copy); for an SVM the support vectors'
    /// coefficients y_i·α_i per binary machine, nSV × machines (the decision values are K(X*, SV)·α + intercepts).</summary>
    public Matrix Coefficients => _alpha.Clone();

    /// <summary>
    /// True when the kernel is a Gaussian-process prior and the model is its posterior mean, so that
    /// <see cref="PredictWithUncertainty(Matrix, ComputeOptions?)"/> gives a predictive variance: a classical kernel, or an
    /// architecture's NNGP at t = ∞. False for the NTK (whose infinite-ensemble variance is the spread over random
    /// initialisations of networks trained on noiseless targets, not a predictive error bar) and for any finite time.
    /// </summary>
    public bool HasPredictiveVariance => Spec.Model == ClassifierKind.KernelRegression
        && (Spec.Kernel is not null || (Spec.Get == KernelOutputs.Nngp && double.IsPositiveInfinity(Spec.Time)));

    /// <summary>
    /// Fits the model: standardizes as <paramref name="spec"/> asks (fitted on <paramref name="train"/>), computes the
    /// training kernel (the classical kernel, or the architecture's NNGP or NTK) and solves for α (kernel ridge regression
    /// at t = ∞, the infinite-ensemble mean at a finite t), or for an SVM spec fits a C-SVC on that kernel
    /// (<see cref="SupportVectorClassifier"/> with C = <see cref="ModelSpec.C"/>, the other settings at their defaults).
    /// </summary>
    /// <param name="spec">The kernel, ridge, time and preprocessing.</param>
    /// <param name="train">The training table; for classification Y is the one-hot code of <see cref="LabeledData.Labels"/>.</param>
    /// <param name="options">How kernels are computed (provider, progress, cancellation); null: the defaults.</param>
    /// <exception cref="ArgumentException">The spec is invalid (<see cref="ModelSpec.Validate"/>), the table has no rows, the names do not
    /// match the columns, a classification table has no class code, or (finite t) the learning rate is unstable.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public static TabularModel Fit(ModelSpec spec, LabeledData train, ComputeOptions? options = null) => Fit(spec, train, options, null);

    /// <summary>
    /// Fits as <see cref="Fit(ModelSpec, LabeledData, ComputeOptions?)"/>; an SVM spec is fitted with the settings of
    /// <paramref name="svmSettings"/> (class weights, tolerance, multi-class strategy, …) and C = <see cref="ModelSpec.C"/>.
    /// </summary>
    /// <param name="spec">The kernel, ridge, time, classifier and preprocessing.</param>
    /// <param name="train">The training table.</param>
    /// <param name="options">How kernels are computed; null: the defaults.</param>
    /// <param name="svmSettings">The SVM's settings other than C (its C is replaced by the spec's); null: the defaults. Only for an SVM spec.</param>
    /// <exception cref="ArgumentException">As the other overload; an SVM spec on a regression table; SVM settings for a kernel-regression spec,
    /// or settings the SVM refuses (e.g. one class weight per class).</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public static TabularModel Fit(ModelSpec spec, LabeledData train, ComputeOptions? options, SupportVectorClassifier? svmSettings)
        => Fit(spec, train, options, svmSettings, null);

    /// <summary>
    /// Fits as <see cref="Fit(ModelSpec, LabeledData, ComputeOptions?, SupportVectorClassifier?)"/> with the training kernel
    /// already computed: <paramref name="trainingKernel"/> is K(X, X) of <paramref name="spec"/>'s kernel on the table's
    /// preprocessed features, as a selection on the same table gives it (<see cref="SelectionResult.BestTrainingKernel"/>);
    /// null computes it. It is read, not changed.
    /// </summary>
    /// <exception cref="ArgumentException">As the other overloads, or the kernel is not n×n for the table's n rows.</exception>
    public static TabularModel Fit(ModelSpec spec, LabeledData train, ComputeOptions? options, SupportVectorClassifier? svmSettings, Matrix? trainingKernel)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(train);
        spec.Validate();
        bool svm = spec.Model == ClassifierKind.Svm;
        if (svm && train.Task != TaskKind.Classification)
            throw new ArgumentException("An SVM (Model = Svm) classifies, but the table's target is numeric (a regression); use Model = KernelRegression, or give the target as class labels.", nameof(train));
        if (!svm && svmSettings is not null)
            throw new ArgumentException("SVM settings were given for a kernel-regression spec; set Model = Svm, or leave the settings out.", nameof(svmSettings));
        options ??= new ComputeOptions();
        if (train.Count == 0) throw new ArgumentException("Cannot fit a model on a table with no rows.", nameof(train));
        if (train.FeatureNames.Count != train.X.Cols)
            throw new ArgumentException($"The table has {train.X.Cols} feature columns but {train.FeatureNames.Count} feature names; give one name per column.", nameof(train));
        if (train.Y.Rows != train.X.Rows)
            throw new ArgumentException($"The table has {train.X.Rows} feature rows but {train.Y.Rows} target rows.", nameof(train));
        LabelEncoder? labels = null;
        if (train.Task == TaskKind.Classification)
        {
            labels = train.Labels ?? throw new ArgumentException("A classification table needs its class code (LabeledData.Labels).", nameof(train));
            if (train.Y.Cols != labels.Count)
                throw new ArgumentException($"The one-hot targets have {train.Y.Cols} columns but there are {labels.Count} classes.", nameof(train));
        }

        if (trainingKernel is not null && (trainingKernel.Rows != train.Count || trainingKernel.Cols != train.Count))
            throw new ArgumentException($"The training kernel is {trainingKernel.Shape}; expected {train.Count}×{train.Count} for the table's {train.Count} rows.", nameof(trainingKernel));

        FittedStandardizer? fs = null, ts = null;
        var x = train.X;
        if (spec.StandardizeFeatures) (fs, x) = new Standardizer().FitTransform(x);
        else x = x.Clone();
        var y = train.Y;
        if (spec.StandardizeTarget && train.Task == TaskKind.Regression) (ts, y) = new Standardizer().FitTransform(y);

        if (svm)
        {
            var k0 = trainingKernel
                ?? (spec.Kernel is { } classical ? classical.Compute(x, null, options) : Select(spec.Architecture!.ComputeKernels(x, null, spec.Get, options), spec.Get));
            var settings = (svmSettings ?? new SupportVectorClassifier()) with { C = spec.C };
            var classes = labels!.Indices(train.RawLabels ?? labels.Decode(train.Y));
            var fitted = settings.FitKernel(k0, classes, labels.Count, options.CancellationToken);
            var support = x.SelectRows(fitted.SupportIndices);
            return new TabularModel(spec, train.Task, train.FeatureNames.ToArray(), train.TargetNames.ToArray(), labels, fs, null, support, fitted.Weights, 0,
                fitted, settings, x.Rows);
        }

        Matrix k, alpha;
        double lambda;
        if (spec.Kernel is { } kernel)
        {
            k = trainingKernel ?? kernel.Compute(x, null, options);
            var fitted = new KernelRegression(kernel) { Ridge = spec.Ridge }.FitKernel(x, k, y);
            alpha = fitted.Coefficients;
            lambda = fitted.Ridge;
        }
        else
        {
            var arch = spec.Architecture!;
            k = trainingKernel ?? Select(arch.ComputeKernels(x, null, spec.Get, options), spec.Get);
            var dynamics = new DynamicsOptions { Ridge = spec.Ridge, Provider = options.Provider };
            var ensemble = spec.Get == KernelOutputs.Ntk ? InfiniteEnsemble.Ntk(k, null, y, dynamics) : InfiniteEnsemble.Nngp(k, y, dynamics);
            // The ensemble mean is (test-train kernel)·α; with the identity as the test-train kernel it is α itself.
            var identity = Matrix.Identity(x.Rows);
            var test = spec.Get == KernelOutputs.Ntk ? new TestKernels { NtkTestTrain = identity } : new TestKernels { NngpTestTrain = identity };
            alpha = ensemble.Predict(spec.Time, test, CovarianceMode.None).Mean;
            lambda = ensemble.RidgeValue;
        }
        var model = new TabularModel(spec, train.Task, train.FeatureNames.ToArray(), train.TargetNames.ToArray(), labels, fs, ts, x, alpha, lambda);
        if (model.HasPredictiveVariance) model.SetFactor(k);
        return model;
    }

    /// <summary>Predicts for inputs in the training table's column order (the count is checked).</summary>
    /// <param name="x">n*×d raw inputs (before preprocessing: the model applies its own).</param>
    /// <param name="options">How the test-train kernel is computed; null: the defaults.</param>
    /// <exception cref="ArgumentException">The number of columns differs from the model's features, or an input is not finite.</exception>
    public TabularPrediction Predict(Matrix x, ComputeOptions? options = null) => PredictCore(x, options, withVariance: false);

    /// <summary>Predicts for inputs whose columns are named <paramref name="featureNames"/>; they must be the model's features in the same order.</summary>
    /// <exception cref="ArgumentException">The names differ from the model's (the message names the missing, extra or moved columns).</exception>
    public TabularPrediction Predict(Matrix x, IReadOnlyList<string> featureNames, ComputeOptions? options = null)
    {
        CheckFeatureNames(featureNames);
        return Predict(x, options);
    }

    /// <summary>
    /// Predicts with the GP predictive variance k(x,x) − k*ᵀ(K + λI)⁻¹k* + λ per test input (the latent variance plus the
    /// observation noise λ, the ridge in kernel units), mapped to target units by the target scaling (× scale²).
    /// Only for a GP prior (<see cref="HasPredictiveVariance"/>): a classical kernel or the NNGP at t = ∞. For the NTK the
    /// infinite-ensemble variance is the spread over random initialisations of infinitely wide networks trained on noiseless
    /// targets, not a predictive error bar; it is not offered here (<see cref="NeuralKernelRegressorModel.PredictWithCovariance(Matrix, CovarianceMode, ComputeOptions)"/> gives it).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is not a GP (NTK, or a finite time), or K + λI is not positive definite (λ = 0 with a singular K).</exception>
    /// <exception cref="ArgumentException">As <see cref="Predict(Matrix, ComputeOptions?)"/>.</exception>
    public TabularPrediction PredictWithUncertainty(Matrix x, ComputeOptions? options = null)
    {
        if (!HasPredictiveVariance)
            throw new InvalidOperationException(
                $"No predictive variance for {Spec.DescribeKernel()}{(double.IsPositiveInfinity(Spec.Time) ? "" : $" at t = {Spec.Time}")}: only a GP prior (a classical kernel, or the NNGP at t = ∞) has one. " +
                "The NTK ensemble's variance is the spread over random initialisations, not an error bar; use get=nngp for a GP.");
        return PredictCore(x, options, withVariance: true);
    }

    /// <summary>Predicts for the test table and scores the predictions (docs/MODELS.md "Metrics"): MSE, R², MAE (regression) or
    /// accuracy and the confusion matrix (classification); with a GP (<see cref="HasPredictiveVariance"/>) also the coverage of the ±1σ and ±1.96σ intervals.</summary>
    /// <exception cref="ArgumentException">The table's features differ from the model's, its task differs, or a label is not one of the model's classes.</exception>
    public ModelEvaluation Evaluate(LabeledData test, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (test.Task != Task) throw new ArgumentException($"The test table is a {test.Task.ToString().ToLowerInvariant()} table but the model does {Task.ToString().ToLowerInvariant()}.", nameof(test));
        CheckFeatureNames(test.FeatureNames);
        var p = HasPredictiveVariance ? PredictWithUncertainty(test.X, options) : Predict(test.X, options);
        if (Task == TaskKind.Classification)
        {
            var truthLabels = test.RawLabels ?? (test.Labels ?? throw new ArgumentException("A classification test table needs its labels.", nameof(test))).Decode(test.Y);
            var truth = Labels!.Indices(truthLabels);
            var predicted = Labels.Indices(p.Labels!);
            var cls = new ClassificationScores(Metrics.Accuracy(predicted, truth), null, Metrics.ConfusionMatrix(truth, predicted, Labels.Count), Labels.Classes);
            CalibrationScores? cal = p.Variance is null ? null : Metrics.Calibration(p.Mean, p.Variance, Labels.OneHot(truthLabels));
            return new ModelEvaluation(test.Count, null, cls, cal);
        }
        var reg = Metrics.Regression(p.Mean, test.Y);
        return new ModelEvaluation(test.Count, reg, null, p.Variance is null ? null : Metrics.Calibration(p.Mean, p.Variance, test.Y));
    }

    /// <summary>Checks that <paramref name="featureNames"/> are the model's features in the same order.</summary>
    /// <exception cref="ArgumentException">They differ: the message names the missing, extra or moved columns.</exception>
    public void CheckFeatureNames(IReadOnlyList<string> featureNames)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        if (featureNames.SequenceEqual(FeatureNames, StringComparer.Ordinal)) return;
        var missing = FeatureNames.Except(featureNames, StringComparer.Ordinal).ToList();
        var extra = featureNames.Except(FeatureNames, StringComparer.Ordinal).ToList();
        string Names(List<string> l) => string.Join(", ", l.Take(5).Select(n => $"'{n}'")) + (l.Count > 5 ? $" and {l.Count - 5} more" : "");
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {Names(missing)}");
        if (extra.Count > 0) parts.Add($"not in the model {Names(extra)}");
        if (parts.Count == 0)
        {
            int i = Enumerable.Range(0, Math.Min(featureNames.Count, FeatureNames.Count)).First(j => featureNames[j] != FeatureNames[j]);
            parts.Add($"column {i + 1} is '{featureNames[i]}' where the model has '{FeatureNames[i]}' (same names, other order)");
        }
        throw new ArgumentException($"The data's {featureNames.Count} feature columns differ from the model's {FeatureNames.Count}: {string.Join("; ", parts)}. Give the columns the model was fitted on, in its order.", nameof(featureNames));
    }

    private TabularPrediction PredictCore(Matrix x, ComputeOptions? options, bool withVariance)
    {
        ArgumentNullException.ThrowIfNull(x);
        options ??= new ComputeOptions();
        if (x.Cols != FeatureNames.Count)
            throw new ArgumentException($"The data has {x.Cols} feature columns but the model was fitted on {FeatureNames.Count} ({DescribeFeatures()}). Give the same columns as the training data.", nameof(x));
        Validate.TestInputs(x, _train.Cols);
        var xs = FeatureScaler?.Transform(x) ?? x;
        if (Svm is { } svm)
        {
            // K(X*, support vectors) only: the other training rows have no weight.
            var ksv = _train.Rows == 0 ? new Matrix(xs.Rows, 0) : TestTrainKernel(xs, options);
            var decision = svm.DecisionValuesFromSupportKernel(ksv, options.Provider);
            var classes = svm.ClassesOf(decision);
            return new TabularPrediction(decision, classes.Select(c => Labels!.Classes[c]).ToArray(), decision);
        }
        var kst = TestTrainKernel(xs, options);
        var raw = LinearAlgebra.Multiply(kst, _alpha, provider: options.Provider);
        Matrix? variance = withVariance ? Variance(xs, kst, options) : null;
        if (Task == TaskKind.Classification)
            return new TabularPrediction(raw, Labels!.Decode(raw), raw, variance);
        if (TargetScaler is null) return new TabularPrediction(raw, null, null, variance);
        if (variance is not null)
            for (int i = 0; i < variance.Rows; i++)
                for (int j = 0; j < variance.Cols; j++) variance[i, j] *= TargetScaler.Scales[j] * TargetScaler.Scales[j];
        return new TabularPrediction(TargetScaler.InverseTransform(raw), null, null, variance);
    }

    /// <summary>k(x,x) − k*ᵀ(K + λI)⁻¹k* + λ per test row (Rasmussen &amp; Williams Alg. 2.1: v = L \ k*), one column per target.</summary>
    private Matrix Variance(Matrix xs, Matrix kst, ComputeOptions options)
    {
        var factor = Factor(options) ?? throw new InvalidOperationException(
            $"K + λI is not positive definite (λ = {RidgeValue:G6}), so the GP predictive variance is undefined; refit with a ridge > 0 (the observation-noise variance, e.g. ridge=1e-2).");
        var prior = Spec.Kernel is { } kernel ? kernel.Diagonal(xs) : Spec.Architecture!.NngpDiagonal(xs);
        var v = factor.SolveLower(kst.Transpose());
        int cols = _alpha.Cols;
        var o = new Matrix(xs.Rows, cols);
        for (int i = 0; i < xs.Rows; i++)
        {
            double explained = 0;
            for (int j = 0; j < v.Rows; j++) explained += v[j, i] * v[j, i];
            double s = Math.Max(prior[i] - explained, 0) + RidgeValue;
            for (int c = 0; c < cols; c++) o[i, c] = s;
        }
        return o;
    }

    private void SetFactor(Matrix k)
    {
        var a = k.Clone();
        a.AddToDiagonal(RidgeValue);
        _factor = Cholesky.TryCompute(a, out _);
        _factorTried = true;
    }

    /// <summary>The Cholesky factor of K + λI, recomputed from the training inputs after a load (the same kernel call as the fit).</summary>
    private Cholesky? Factor(ComputeOptions options)
    {
        lock (_factorLock)
        {
            if (!_factorTried)
            {
                var k = Spec.Kernel is { } kernel ? kernel.Compute(_train, null, options with { Progress = null }) : Select(Spec.Architecture!.ComputeKernels(_train, null, Spec.Get, options with { Progress = null }), Spec.Get);
                SetFactor(k);
            }
            return _factor;
        }
    }

    private static Matrix Select(KernelResult r, KernelOutputs get) => get == KernelOutputs.Ntk ? r.Ntk : r.Nngp;

    private Matrix TestTrainKernel(Matrix xs, ComputeOptions options) =>
        Spec.Kernel is { } kernel ? kernel.Compute(xs, _train, options) : Select(Spec.Architecture!.ComputeKernels(xs, _train, Spec.Get, options), Spec.Get);

    private string DescribeFeatures() => string.Join(", ", FeatureNames.Take(5)) + (FeatureNames.Count > 5 ? ", …" : "");
}
