using System.Globalization;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>How a <see cref="ModelSelection"/> scores a setting.</summary>
public enum SelectionKind
{
    /// <summary>K-fold cross-validation (stratified by class for classification).</summary>
    CrossValidation,
    /// <summary>One held-out fraction of the training set (stratified by class for classification).</summary>
    Holdout,
    /// <summary>The Gaussian-process log marginal likelihood of the whole training set (no split).</summary>
    Evidence,
    /// <summary>One validation set given by its rows (a predefined train/validation split).</summary>
    Split,
}

/// <summary>A selection method: <c>cv:K</c>, <c>holdout:F</c>, <c>evidence</c> (docs/SELECTION.md), or a predefined
/// validation set (<see cref="Split"/>).</summary>
/// <param name="Kind">The method.</param>
/// <param name="Folds">K for cross-validation (≥ 2), else 0.</param>
/// <param name="Fraction">The held-out fraction F for hold-out (0 &lt; F &lt; 1), else 0.</param>
public sealed record SelectionMethod(SelectionKind Kind, int Folds = 0, double Fraction = 0)
{
    /// <summary>K-fold cross-validation.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 2.</exception>
    public static SelectionMethod CrossValidation(int folds) => folds >= 2
        ? new(SelectionKind.CrossValidation, folds)
        : throw new ArgumentOutOfRangeException(nameof(folds), $"Cross-validation needs at least 2 folds, got {folds}; write e.g. cv:5.");

    /// <summary>Hold out a fraction of the training set.</summary>
    /// <exception cref="ArgumentOutOfRangeException">F not strictly between 0 and 1.</exception>
    public static SelectionMethod Holdout(double fraction) => fraction > 0 && fraction < 1
        ? new(SelectionKind.Holdout, 0, fraction)
        : throw new ArgumentOutOfRangeException(nameof(fraction), $"The held-out fraction must be between 0 and 1 (exclusive), got {fraction.ToString(CultureInfo.InvariantCulture)}; write e.g. holdout:0.2.");

    /// <summary>The GP log marginal likelihood.</summary>
    public static SelectionMethod Evidence { get; } = new(SelectionKind.Evidence);

    /// <summary>With <see cref="SelectionKind.Split"/>: the validation rows (0-based, ascending, distinct); else null.</summary>
    public IReadOnlyList<int>? ValidationRows { get; private init; }

    /// <summary>
    /// A predefined split: the models are trained on every other row and scored on <paramref name="validationRows"/>
    /// (0-based row indices of the training set; any order), as one fold (e.g. the train/validation lines of a
    /// benchmark's folds file). The rows are checked against the data's size by <see cref="ModelSelection.Folds"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No rows, a negative row, or a row given twice.</exception>
    public static SelectionMethod Split(IReadOnlyList<int> validationRows)
    {
        ArgumentNullException.ThrowIfNull(validationRows);
        if (validationRows.Count == 0) throw new ArgumentException("The validation split has no rows; give the 0-based indices of the validation rows.", nameof(validationRows));
        var sorted = validationRows.Order().ToArray();
        if (sorted[0] < 0) throw new ArgumentException($"Validation row {sorted[0]} is negative; rows are 0-based indices into the training set.", nameof(validationRows));
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i] == sorted[i - 1])
                throw new ArgumentException($"Validation row {sorted[i]} is given twice; list each row once.", nameof(validationRows));
        return new SelectionMethod(SelectionKind.Split) { ValidationRows = sorted };
    }

    /// <summary>Reads <c>cv:K</c>, <c>holdout:F</c> or <c>evidence</c>.</summary>
    /// <exception cref="FormatException">Anything else, or a K or F out of range.</exception>
    public static SelectionMethod Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        int colon = t.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? t : t[..colon], arg = colon < 0 ? "" : t[(colon + 1)..].Trim();
        try
        {
            switch (name)
            {
                case "evidence" when arg.Length == 0:
                    return Evidence;
                case "cv" when int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int k):
                    return CrossValidation(k);
                case "holdout" when double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out double f):
                    return Holdout(f);
            }
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException(e.Message.Split(" (Parameter", 2)[0], e);
        }
        throw new FormatException($"Unknown selection method '{text}'; use cv:K (e.g. cv:5), holdout:F (e.g. holdout:0.2) or evidence.");
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        SelectionKind.CrossValidation => $"cv:{Folds}",
        SelectionKind.Holdout => "holdout:" + Fraction.ToString("R", CultureInfo.InvariantCulture),
        SelectionKind.Split => $"split ({ValidationRows!.Count} validation rows)",
        _ => "evidence",
    };
}

/// <summary>The score of one grid point.</summary>
/// <param name="Setting">The grid point.</param>
/// <param name="Score">The mean over folds (cross-validation), the held-out score, or the log marginal likelihood; NaN when it could not be computed (<see cref="Note"/>).</param>
/// <param name="FoldScores">The score of each fold (one for hold-out and evidence).</param>
/// <param name="Note">Why the score is NaN (e.g. an unstable learning rate at a finite time, a singular kernel without ridge), else null.</param>
public sealed record SelectionRow(HyperSetting Setting, double Score, IReadOnlyList<double> FoldScores, string? Note = null)
{
    /// <summary>The grid point's label.</summary>
    public string Label => Setting.Label;

    /// <summary>The grid point's model.</summary>
    public ModelSpec Spec => Setting.Spec;
}

/// <summary>The outcome of a selection: the best model and every row of scores.</summary>
/// <param name="Best">The selected model (gamma=auto resolved to its number).</param>
/// <param name="Rows">One row per grid point, in grid order.</param>
/// <param name="ScoreName">"mse", "accuracy" or "log marginal likelihood".</param>
/// <param name="HigherIsBetter">True for accuracy and the evidence, false for MSE.</param>
public sealed record SelectionResult(ModelSpec Best, IReadOnlyList<SelectionRow> Rows, string ScoreName, bool HigherIsBetter)
{
    /// <summary>The index in <see cref="Rows"/> of the selected row.</summary>
    public int BestIndex { get; init; }

    /// <summary>The selected row.</summary>
    public SelectionRow BestRow => Rows[BestIndex];

    /// <summary>What the selection left out and why, one line each (e.g. a fix value that would freeze every layer at some depth); empty when nothing was.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The selected setting's kernel matrix of the whole (preprocessed) training set, as the selection computed it,
    /// so that fitting the selected model on the same training set need not compute it again
    /// (<see cref="TabularModel.Fit(ModelSpec, LabeledData, ComputeOptions?, SupportVectorClassifier?, Matrix?)"/>);
    /// null when it was not kept. The selection holds at most one such matrix beside the one it is scoring.</summary>
    public Matrix? BestTrainingKernel { get; init; }
}

/// <summary>
/// Grid search over kernel models (docs/SELECTION.md). The kernel matrix of the whole (preprocessed) training
/// set is computed once per setting that changes the kernel (kernel, arch, depth, fix, w, b, gamma; settings that differ
/// only in get share one computation of both kernels); every ridge, time and fold reuses it (fold blocks are sliced from
/// it), and the (fold, ridge) pairs of one kernel setting are scored in parallel. Features (and, for regression, targets when the spec
/// asks) are standardized with statistics of the whole training set before the kernels — a small leakage from
/// the validation folds into the preprocessing, which is what makes the reuse possible.
/// </summary>
public static class ModelSelection
{
    /// <summary>
    /// Scores every point of <paramref name="grid"/> applied to <paramref name="baseSpec"/> and returns the best.
    /// Score: MSE in the targets' original units (lower is better) for regression; accuracy of the one-hot kernel
    /// regression decoded by argmax, or of the SVM's prediction for SVM points (higher is better) for classification; the log marginal likelihood (higher is better)
    /// for <see cref="SelectionKind.Evidence"/>. Cross-validation averages the fold scores with equal weights (as
    /// scikit-learn's GridSearchCV). Ties (scores within 1e-12 relative) go to the smoother model of the same kind (the larger ridge, the smaller C), then to the earlier grid point.
    /// </summary>
    /// <param name="baseSpec">The model whose fields the grid does not vary are kept (preprocessing included).</param>
    /// <param name="grid">The hyperparameter grid.</param>
    /// <param name="method">Cross-validation, hold-out, a predefined split or evidence.</param>
    /// <param name="train">The training set.</param>
    /// <param name="seed">Seeds the fold assignment (the result is the same for the same seed).</param>
    /// <param name="options">How the kernels are computed (provider, threads, memory, cancellation); <see cref="ComputeOptions.MaxThreads"/>
    /// also bounds the (fold, ridge) pairs scored at once. The result does not depend on the thread count.</param>
    /// <param name="progress">One report per kernel setting finished.</param>
    /// <exception cref="ArgumentException">The grid does not fit the model, the data are too small for the method, an SVM point has
    /// numeric (regression) targets, or the evidence is asked for an NTK model, a finite time or an SVM.</exception>
    /// <exception cref="InvalidOperationException">No grid point could be scored.</exception>
    public static SelectionResult Select(ModelSpec baseSpec, HyperGrid grid, SelectionMethod method, LabeledData train, int seed = 0,
        ComputeOptions? options = null, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseSpec);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(train);
        baseSpec.Validate();
        options ??= ComputeOptions.Default;
        var kernelOptions = options with { Progress = null };
        var prepared = Prepared.From(baseSpec, train);
        var notes = new List<string>();
        var settings = grid.Expand(baseSpec, prepared.X, notes);
        bool classification = train.Task == TaskKind.Classification;
        bool evidence = method.Kind == SelectionKind.Evidence;
        if (!classification && settings.FirstOrDefault(s => s.Spec.Model == ClassifierKind.Svm) is { } svm)
            throw new ArgumentException($"Grid point '{svm.Label}' is an SVM, which classifies, but the targets are numeric (a regression); use model=krr, or give the target as class labels.");
        if (evidence)
            foreach (var s in settings) RequireGaussianProcess(s.Spec);
        var folds = evidence ? null : Folds(train, method, seed);
        int[]? classes = classification ? ClassIndices(train.Y) : null;

        var rows = new SelectionRow[settings.Count];
        var groups = settings.GroupBy(s => s.KernelGroup).Select(g => g.ToArray()).ToArray();
        bool higher = evidence || classification;
        Matrix? heldKernel = null;   // the kernel of the group that holds the best row scored so far
        int heldGroup = -1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int done = 0;
        // Kernel settings that differ only in get (same architecture) take both kernels from one pass.
        foreach (var computation in groups.GroupBy(ComputationKey).Select(c => c.ToList()))
        {
            var kernels = new SharedKernels(computation[0][0].Spec, prepared.X, computation.Select(g => g[0].Spec.Get).Distinct().ToArray(), kernelOptions);
            for (int c = 0; c < computation.Count; c++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                var members = computation[c];
                var get = members[0].Spec.Get;
                var k = kernels.Get(get);
                if (evidence)
                    foreach (var s in members) rows[s.Index] = EvidenceRow(s, k, prepared.Y, options.Provider);
                else
                    ScoreFolds(members, k, prepared, train, folds!, classes, rows, options);
                if (BestIndex(rows, higher) is int leader && members.Any(m => m.Index == leader) && heldGroup != members[0].KernelGroup)
                    (heldKernel, heldGroup) = (k, members[0].KernelGroup);
                if (!computation.Skip(c + 1).Any(g => g[0].Spec.Get == get)) kernels.Release(get);
                done++;
                progress?.Report(new ProgressInfo(done, groups.Length, $"selection: kernel setting {done}/{groups.Length} ({members[0].Spec.DescribeKernel()})", clock.Elapsed));
            }
        }

        if (BestIndex(rows, higher) is not int best)
            throw new InvalidOperationException($"No grid point could be scored ({rows[0].Note ?? "every score is NaN"}); add a ridge (e.g. ridge=1e-4,1e-2) or remove finite times.");
        string name = evidence ? "log marginal likelihood" : classification ? "accuracy" : "mse";
        return new SelectionResult(rows[best].Spec, rows, name, higher)
        {
            BestIndex = best, Notes = notes,
            BestTrainingKernel = heldGroup == rows[best].Setting.KernelGroup ? heldKernel : null,
        };
    }

    /// <summary>The best of the rows scored so far (null entries are not yet scored): scanned in grid order, a row replaces
    /// the best when <see cref="Better"/>; null when no finite score.</summary>
    private static int? BestIndex(SelectionRow?[] rows, bool higher)
    {
        int best = -1;
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] is not { } row || !double.IsFinite(row.Score)) continue;
            if (best < 0 || Better(row, rows[best]!, higher)) best = i;
        }
        return best < 0 ? null : best;
    }

    /// <summary>Groups whose kernels one computation gives: the same architecture (and input shape); a classical kernel's group alone.</summary>
    private static string ComputationKey(HyperSetting[] group)
    {
        var spec = group[0].Spec;
        return spec.Architecture is { } a ? $"arch {a} {a.InputShape}" : $"group {group[0].KernelGroup.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// The train-train kernels of one computation: with an architecture whose NNGP and NTK are both wanted, one pass for
    /// both (<see cref="KernelOutputs.Both"/>), falling back to one pass each when both do not fit in memory; kept until released.
    /// </summary>
    private sealed class SharedKernels
    {
        private readonly ModelSpec _spec;
        private readonly Matrix _x;
        private readonly ComputeOptions _options;
        private readonly Dictionary<KernelOutputs, Matrix> _held = [];

        public SharedKernels(ModelSpec spec, Matrix x, KernelOutputs[] gets, ComputeOptions options)
        {
            _spec = spec; _x = x; _options = options;
            if (spec.Architecture is not { } arch || gets.Length < 2) return;
            try
            {
                var both = arch.ComputeKernels(x, null, KernelOutputs.Both, options);
                _held[KernelOutputs.Nngp] = both.Nngp;
                _held[KernelOutputs.Ntk] = both.Ntk;
            }
            catch (InsufficientMemoryException)
            {
                // Each kernel alone may still fit: computed when asked for.
            }
        }

        public Matrix Get(KernelOutputs get)
        {
            if (_held.TryGetValue(get, out var k)) return k;
            return _held[get] = KernelMatrix(_spec with { Get = get }, _x, _options);
        }

        public void Release(KernelOutputs get) => _held.Remove(get);
    }

    /// <summary>
    /// The validation index sets of <paramref name="method"/> on <paramref name="data"/> (each sorted ascending; the
    /// training indices of a fold are the rest). Cross-validation: the rows are shuffled with <paramref name="seed"/>
    /// and cut into K folds, the first n mod K one row larger (scikit-learn's KFold sizes); for classification each
    /// class's shuffled rows are dealt to the folds in turn, continuing where the previous class stopped (stratified).
    /// Hold-out: one set of round(F·n) rows (for classification round(F·n_c) of each class c, at least one row in all).
    /// Split: the given validation rows, as one fold.
    /// </summary>
    /// <exception cref="ArgumentException">Evidence (no folds), more folds than rows, a hold-out that leaves no training row, or a
    /// split whose rows are beyond the data or leave no training row.</exception>
    public static IReadOnlyList<int[]> Folds(LabeledData data, SelectionMethod method, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(method);
        int n = data.Count;
        var rng = new Random(seed);
        IEnumerable<int[]> Strata()
        {
            if (data.Task != TaskKind.Classification) { yield return Shuffle(Enumerable.Range(0, n).ToArray(), rng); yield break; }
            var cls = ClassIndices(data.Y);
            foreach (var c in cls.Distinct().Order())
                yield return Shuffle(Enumerable.Range(0, n).Where(i => cls[i] == c).ToArray(), rng);
        }
        switch (method.Kind)
        {
            case SelectionKind.CrossValidation:
            {
                int kf = method.Folds;
                if (kf > n) throw new ArgumentException($"cv:{kf} needs at least {kf} training rows, got {n}; use fewer folds (e.g. cv:{Math.Max(2, n)}).");
                var folds = Enumerable.Range(0, kf).Select(_ => new List<int>()).ToArray();
                if (data.Task != TaskKind.Classification)
                {
                    var perm = Strata().Single();
                    int start = 0;
                    for (int f = 0; f < kf; f++)
                    {
                        int size = n / kf + (f < n % kf ? 1 : 0);
                        folds[f].AddRange(perm.AsSpan(start, size).ToArray());
                        start += size;
                    }
                }
                else
                {
                    int next = 0;
                    foreach (var stratum in Strata())
                        foreach (int i in stratum) folds[next++ % kf].Add(i);
                }
                return folds.Select(f => f.Order().ToArray()).ToArray();
            }
            case SelectionKind.Holdout:
            {
                var held = new List<int>();
                foreach (var stratum in Strata())
                    held.AddRange(stratum.Take((int)Math.Round(method.Fraction * stratum.Length, MidpointRounding.AwayFromZero)));
                if (held.Count == 0) held.Add(Strata().First()[0]);
                if (held.Count >= n)
                    throw new ArgumentException($"holdout:{method.Fraction.ToString(CultureInfo.InvariantCulture)} leaves no training row out of {n}; use a smaller fraction.");
                return [held.Order().ToArray()];
            }
            case SelectionKind.Split:
            {
                var val = method.ValidationRows ?? throw new ArgumentException("A split needs its validation rows: build it with SelectionMethod.Split(rows).", nameof(method));
                if (val[^1] >= n)
                    throw new ArgumentException($"Validation row {val[^1]} (0-based) is beyond the {n} training rows; give rows 0..{n - 1}.");
                if (val.Count >= n)
                    throw new ArgumentException($"The validation split takes all {n} training rows and leaves none to train on; give fewer validation rows.");
                return [[.. val]];
            }
            default:
                throw new ArgumentException("The evidence uses the whole training set; it has no folds.", nameof(method));
        }
    }

    /// <summary>The train-train kernel matrix that <paramref name="spec"/>'s predictions use: the classical kernel, or the
    /// architecture's NNGP or NTK (per <see cref="ModelSpec.Get"/>).</summary>
    public static Matrix KernelMatrix(ModelSpec spec, Matrix x, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= ComputeOptions.Default;
        if (spec.Kernel is { } kernel) return kernel.Compute(x, null, options);
        var r = spec.Architecture!.ComputeKernels(x, null, spec.Get, options);
        return spec.Get == KernelOutputs.Nngp ? r.Nngp : r.Ntk;
    }

    internal static void RequireGaussianProcess(ModelSpec spec)
    {
        if (spec.Model == ClassifierKind.Svm)
            throw new ArgumentException("The evidence is the marginal likelihood of a Gaussian process; an SVM has none: select it with cv:K, holdout:F or a split, or use model=krr.");
        if (spec.Architecture is not null && spec.Get != KernelOutputs.Nngp)
            throw new ArgumentException("The evidence is the marginal likelihood of a Gaussian-process prior: use get=nngp (the NNGP is the prior of the infinite network; the NTK is not) or a classical kernel.");
        if (!double.IsPositiveInfinity(spec.Time))
            throw new ArgumentException($"The evidence is defined for exact GP inference (t = ∞), got time {spec.Time.ToString(CultureInfo.InvariantCulture)}; remove finite times from the grid or select with cv:K.");
    }

    private static bool Better(SelectionRow a, SelectionRow b, bool higher)
    {
        double tol = 1e-12 * Math.Max(1, Math.Max(Math.Abs(a.Score), Math.Abs(b.Score)));
        if (Math.Abs(a.Score - b.Score) > tol) return higher ? a.Score > b.Score : a.Score < b.Score;
        // Tie: the smoother model of the same kind — the larger ridge, the smaller C; then the earlier grid point (rows are scanned in order).
        if (a.Spec.Model != b.Spec.Model) return false;
        return a.Spec.Model == ClassifierKind.Svm ? a.Spec.C < b.Spec.C : a.Spec.Ridge.Value > b.Spec.Ridge.Value;
    }

    private static SelectionRow EvidenceRow(HyperSetting s, Matrix k, Matrix y, ILinearAlgebraProvider? provider)
    {
        try
        {
            double lml = new GaussianProcessInference(k, y, s.Spec.Ridge, Solver.Auto, provider).LogMarginalLikelihood();
            return new SelectionRow(s, lml, [lml]);
        }
        catch (InvalidOperationException e)
        {
            return new SelectionRow(s, double.NaN, [double.NaN], e.Message);
        }
    }

    /// <summary>
    /// Scores one kernel setting's points on every fold: one work item per (fold, ridge) of the kernel-regression points
    /// (its times share one eigendecomposition) and per (fold, point) of the SVM points, run in parallel as far as the
    /// threads and the memory allow (each item slices its fold's blocks and decomposes or fits on its train-train block,
    /// about three n² matrices). Each item writes only its own scores, so the result is the same for any thread count.
    /// </summary>
    private static void ScoreFolds(HyperSetting[] members, Matrix k, Prepared data, LabeledData train, IReadOnlyList<int[]> folds,
        int[]? classes, SelectionRow[] rows, ComputeOptions options)
    {
        int n = k.Rows;
        var scores = members.Select(_ => new double[folds.Count]).ToArray();
        var notes = new string?[members.Length];
        var point = Enumerable.Range(0, members.Length).ToArray();
        var tasks = point.Where(i => members[i].Spec.Model == ClassifierKind.KernelRegression).GroupBy(i => members[i].Spec.Ridge).Select(r => r.ToArray())
            .Concat(point.Where(i => members[i].Spec.Model == ClassifierKind.Svm).Select(i => new[] { i })).ToArray();
        int items = folds.Count * tasks.Length;
        var spec = members[0].Spec;
        bool ntk = spec.Architecture is not null && spec.Get == KernelOutputs.Ntk;
        var po = new ParallelOptions { MaxDegreeOfParallelism = ParallelItems(items, n, options), CancellationToken = options.CancellationToken };
        Parallel.For(0, items, po, item =>
        {
            int f = item / tasks.Length;
            var task = tasks[item % tasks.Length];
            var val = folds[f];
            var tr = Complement(val, n);
            var ktt = k.Select(tr, tr);
            var kvt = k.Select(val, tr);
            if (members[task[0]].Spec.Model == ClassifierKind.Svm)
            {
                int i = task[0];
                var (score, note) = SvmScore(members[i].Spec, ktt, kvt, tr, val, classes!, data.Y.Cols, f, options.CancellationToken);
                scores[i][f] = score;
                if (note is not null) lock (notes) notes[i] ??= note;
                return;
            }
            var ytr = data.Y.SelectRows(tr);
            var test = ntk ? new TestKernels { NtkTestTrain = kvt } : new TestKernels { NngpTestTrain = kvt };
            var dyn = new DynamicsOptions { Ridge = members[task[0]].Spec.Ridge, Provider = options.Provider };
            var ensemble = ntk ? InfiniteEnsemble.Ntk(ktt, null, ytr, dyn) : InfiniteEnsemble.Nngp(ktt, ytr, dyn);
            // t = ∞ needs no stable learning rate; the finite times share one eigendecomposition and fail together.
            foreach (var idx in task.GroupBy(i => double.IsPositiveInfinity(members[i].Spec.Time)).Select(t => t.ToArray()))
            {
                try
                {
                    var preds = ensemble.PredictTrajectory(idx.Select(i => members[i].Spec.Time).ToArray(), test, CovarianceMode.None);
                    for (int j = 0; j < idx.Length; j++) scores[idx[j]][f] = Score(preds[j].Mean, val, data, train, classes);
                }
                catch (UnstableLearningRateException e)
                {
                    foreach (int i in idx) { scores[i][f] = double.NaN; lock (notes) notes[i] ??= e.Message; }
                }
            }
        });
        for (int i = 0; i < members.Length; i++)
        {
            double mean = scores[i].Average();
            rows[members[i].Index] = new SelectionRow(members[i], mean, scores[i], double.IsNaN(mean) ? notes[i] : null);
        }
    }

    /// <summary>
    /// The validation accuracy of an SVM (<see cref="SupportVectorClassifier"/> with the spec's C, the other settings at their
    /// defaults, scikit-learn's) fitted on the fold's train-train kernel block and predicting from its validation-train block;
    /// NaN with a note when the fold's training rows hold fewer than two classes.
    /// </summary>
    private static (double Score, string? Note) SvmScore(ModelSpec spec, Matrix ktt, Matrix kvt, int[] tr, int[] val, int[] classes,
        int classCount, int fold, CancellationToken ct)
    {
        var labels = tr.Select(i => classes[i]).ToArray();
        if (labels.Distinct().Count() < 2)
            return (double.NaN, $"the training rows of fold {fold + 1} hold one class only ({labels[0]}); an SVM needs two: use more rows per class or fewer folds.");
        var model = new SupportVectorClassifier { C = spec.C }.FitKernel(ktt, labels, classCount, ct);
        var predicted = model.PredictFromKernel(kvt);
        int hits = 0;
        for (int r = 0; r < val.Length; r++) if (predicted[r] == classes[val[r]]) hits++;
        return ((double)hits / val.Length, null);
    }

    /// <summary>How many (fold, point) work items of an n×n kernel run at once: each holds about three n×n matrices of
    /// doubles (the fold's blocks and a decomposition), within half the memory available (or of the budget) and the threads.</summary>
    private static int ParallelItems(int items, int n, ComputeOptions options)
    {
        long perItem = 3L * 8 * n * n;
        long available = Math.Min(Tangent.Engine.MemoryGuard.AvailableBytes, options.MemoryBudget ?? long.MaxValue) / 2;
        return (int)Math.Clamp(available / Math.Max(1, perItem), 1, Math.Max(1, Math.Min(options.Threads, items)));
    }

    private static double Score(Matrix prediction, int[] val, Prepared data, LabeledData train, int[]? classes)
    {
        if (classes is not null)
        {
            int hits = 0;
            for (int r = 0; r < val.Length; r++)
            {
                var row = prediction.Row(r);
                int best = 0;
                for (int c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
                if (best == classes[val[r]]) hits++;
            }
            return (double)hits / val.Length;
        }
        var original = data.TargetScaler is { } scaler ? scaler.InverseTransform(prediction) : prediction;
        return Metrics.MeanSquaredError(original, train.Y.SelectRows(val));
    }

    internal static int[] ClassIndices(Matrix oneHot)
    {
        var idx = new int[oneHot.Rows];
        for (int i = 0; i < idx.Length; i++)
        {
            var r = oneHot.Row(i);
            int best = 0;
            for (int c = 1; c < r.Length; c++) if (r[c] > r[best]) best = c;
            idx[i] = best;
        }
        return idx;
    }

    private static int[] Shuffle(int[] a, Random rng)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
        return a;
    }

    private static int[] Complement(int[] sortedSubset, int n)
    {
        var inSubset = new bool[n];
        foreach (int i in sortedSubset) inSubset[i] = true;
        return Enumerable.Range(0, n).Where(i => !inSubset[i]).ToArray();
    }


    /// <summary>The training set after the spec's preprocessing, fitted on all of it.</summary>
    internal sealed record Prepared(Matrix X, Matrix Y, FittedStandardizer? TargetScaler)
    {
        public static Prepared From(ModelSpec spec, LabeledData train)
        {
            var x = spec.StandardizeFeatures ? new Standardizer().FitTransform(train.X).Transformed : train.X;
            if (spec.StandardizeTarget && train.Task == TaskKind.Regression)
            {
                var (fitted, y) = new Standardizer().FitTransform(train.Y);
                return new Prepared(x, y, fitted);
            }
            return new Prepared(x, train.Y, null);
        }
    }
}
