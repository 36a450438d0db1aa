using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>Error, accuracy and calibration measures (docs/MODELS.md "Metrics"; the definitions of scikit-learn's <c>sklearn.metrics</c>).</summary>
public static class Metrics
{
    /// <summary>Mean over all entries of (prediction − truth)².</summary>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    public static double MeanSquaredError(Matrix prediction, Matrix truth)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(truth);
        prediction.RequireSameShape(truth, nameof(truth));
        double s = 0;
        for (int i = 0; i < truth.Data.Length; i++)
        {
            double e = prediction.Data[i] - truth.Data[i];
            s += e * e;
        }
        return truth.Data.Length == 0 ? 0 : s / truth.Data.Length;
    }

    /// <summary>Fraction of rows whose argmax of <paramref name="scores"/> equals the label.</summary>
    public static double Accuracy(Matrix scores, IReadOnlyList<int> labels) => Preprocessing.Accuracy(scores, labels);

    /// <summary>Accuracy against one-hot (or shifted one-hot) targets; null when the targets are not class labels
    /// (see <see cref="Preprocessing.LabelsOf"/>).</summary>
    public static double? Accuracy(Matrix scores, Matrix targets)
    {
        ArgumentNullException.ThrowIfNull(scores);
        scores.RequireSameShape(targets, nameof(targets));
        return targets.Rows > 0 && Preprocessing.LabelsOf(targets) is { } labels ? Preprocessing.Accuracy(scores, labels) : null;
    }

    /// <summary>Mean over all entries of |prediction − truth| (scikit-learn's <c>mean_absolute_error</c>, uniform average over columns).</summary>
    /// <exception cref="ArgumentException">Shapes differ.</exception>
    public static double MeanAbsoluteError(Matrix prediction, Matrix truth)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(truth);
        prediction.RequireSameShape(truth, nameof(truth));
        double s = 0;
        for (int i = 0; i < truth.Data.Length; i++) s += Math.Abs(prediction.Data[i] - truth.Data[i]);
        return truth.Data.Length == 0 ? 0 : s / truth.Data.Length;
    }

    /// <summary>
    /// The coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² per column, averaged over the columns
    /// (scikit-learn's <c>r2_score</c>, <c>multioutput='uniform_average'</c>). A column whose truth is constant scores
    /// 1 when it is predicted exactly and 0 otherwise (scikit-learn's <c>force_finite</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, or there are fewer than two rows.</exception>
    public static double RSquared(Matrix prediction, Matrix truth)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(truth);
        prediction.RequireSameShape(truth, nameof(truth));
        if (truth.Rows < 2) throw new ArgumentException($"R² needs at least two rows, got {truth.Rows}.", nameof(truth));
        double total = 0;
        for (int c = 0; c < truth.Cols; c++)
        {
            double mean = 0;
            for (int i = 0; i < truth.Rows; i++) mean += truth[i, c];
            mean /= truth.Rows;
            double res = 0, tot = 0;
            for (int i = 0; i < truth.Rows; i++)
            {
                double e = truth[i, c] - prediction[i, c], d = truth[i, c] - mean;
                res += e * e;
                tot += d * d;
            }
            total += tot == 0 ? (res == 0 ? 1 : 0) : 1 - res / tot;
        }
        return truth.Cols == 0 ? 0 : total / truth.Cols;
    }

    /// <summary>MSE, R² and MAE of a regression.</summary>
    /// <exception cref="ArgumentException">Shapes differ, or there are fewer than two rows.</exception>
    public static RegressionScores Regression(Matrix prediction, Matrix truth) =>
        new(MeanSquaredError(prediction, truth), RSquared(prediction, truth), MeanAbsoluteError(prediction, truth));

    /// <summary>Fraction of positions where the predicted class equals the true one.</summary>
    /// <exception cref="ArgumentException">The lists have different lengths or are empty.</exception>
    public static double Accuracy<T>(IReadOnlyList<T> predicted, IReadOnlyList<T> truth)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        if (predicted.Count != truth.Count) throw new ArgumentException($"{predicted.Count} predictions for {truth.Count} true labels; give one per row.", nameof(truth));
        if (truth.Count == 0) throw new ArgumentException("Accuracy of no rows is undefined.", nameof(truth));
        int hit = 0;
        var eq = EqualityComparer<T>.Default;
        for (int i = 0; i < truth.Count; i++) if (eq.Equals(predicted[i], truth[i])) hit++;
        return (double)hit / truth.Count;
    }

    /// <summary>
    /// The confusion matrix C (classes × classes, in code order): C[i][j] = number of rows of true class i predicted as class j
    /// (scikit-learn's <c>confusion_matrix</c> with <c>labels=range(classes)</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, or a class index is outside 0…classes−1 (the row is 1-based).</exception>
    public static int[][] ConfusionMatrix(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (predicted.Count != truth.Count) throw new ArgumentException($"{predicted.Count} predictions for {truth.Count} true labels; give one per row.", nameof(predicted));
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var c = new int[classes][];
        for (int i = 0; i < classes; i++) c[i] = new int[classes];
        for (int r = 0; r < truth.Count; r++)
        {
            if ((uint)truth[r] >= (uint)classes || (uint)predicted[r] >= (uint)classes)
                throw new ArgumentException($"Row {r + 1}: class index {((uint)truth[r] >= (uint)classes ? truth[r] : predicted[r])} is outside 0…{classes - 1}.", nameof(truth));
            c[truth[r]][predicted[r]]++;
        }
        return c;
    }

    /// <summary>
    /// Accuracy, the confusion matrix and per-class precision, recall and F1 with their support, and their macro and
    /// support-weighted averages (scikit-learn's <c>classification_report(labels=range(k), zero_division=0)</c>): precision of
    /// class c = C[c][c] / Σᵢ C[i][c] (0 when nothing is predicted as c), recall = C[c][c] / Σⱼ C[c][j] (0 when c has no
    /// rows), F1 = 2·P·R/(P + R) (0 when both are 0). The macro average is the plain mean over the k classes (absent ones
    /// included, as scikit-learn's with <c>labels=</c>), the weighted average weights each class by its support.
    /// </summary>
    /// <param name="truth">The true class index of each row, in 0…k−1.</param>
    /// <param name="predicted">The predicted class index of each row.</param>
    /// <param name="classes">The k class names, in code order.</param>
    /// <exception cref="ArgumentException">Lengths differ, there are no rows, fewer than one class, or a class index is outside 0…k−1.</exception>
    public static ClassificationReport Classification(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var confusion = ConfusionMatrix(truth, predicted, classes.Count);
        if (truth.Count == 0) throw new ArgumentException("A classification report of no rows is undefined.", nameof(truth));
        int k = classes.Count;
        var perClass = new ClassScores[k];
        int hits = 0;
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c][c], support = 0, predictedAs = 0;
            for (int j = 0; j < k; j++)
            {
                support += confusion[c][j];
                predictedAs += confusion[j][c];
            }
            hits += tp;
            double precision = predictedAs == 0 ? 0 : (double)tp / predictedAs;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassScores(classes[c], precision, recall, f1, support);
        }
        int n = truth.Count;
        var macro = new ClassScores("macro avg", perClass.Average(s => s.Precision), perClass.Average(s => s.Recall), perClass.Average(s => s.F1), n);
        var weighted = new ClassScores("weighted avg", perClass.Sum(s => s.Precision * s.Support) / n, perClass.Sum(s => s.Recall * s.Support) / n,
            perClass.Sum(s => s.F1 * s.Support) / n, n);
        return new ClassificationReport((double)hits / n, confusion, classes.ToArray(), perClass, macro, weighted);
    }

    /// <summary>
    /// The mean negative log-likelihood −(1/n)·Σ log p[i, label i] of class probabilities (scikit-learn's <c>log_loss</c>,
    /// probabilities clipped to [ε, 1 − ε] with ε the double's machine epsilon). Only for real probabilities: kernel
    /// regression scores are not probabilities, and neither is their softmax.
    /// </summary>
    /// <exception cref="ArgumentException">A row is not a probability vector (entries in [0, 1] summing to 1 within 1e-6), or a label is out of range.</exception>
    public static double LogLoss(Matrix probabilities, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != probabilities.Rows) throw new ArgumentException($"{probabilities.Rows} rows of probabilities for {labels.Count} labels; give one per row.", nameof(labels));
        if (labels.Count == 0) throw new ArgumentException("Log-loss of no rows is undefined.", nameof(labels));
        const double eps = 2.220446049250313e-16;
        double s = 0;
        for (int i = 0; i < probabilities.Rows; i++)
        {
            var r = probabilities.Row(i);
            double sum = 0;
            foreach (double p in r)
            {
                if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Row {i + 1} has the value {p}, not a probability in [0, 1]; log-loss needs class probabilities, not scores.", nameof(probabilities));
                sum += p;
            }
            if (Math.Abs(sum - 1) > 1e-6) throw new ArgumentException($"Row {i + 1} sums to {sum}, not 1; log-loss needs class probabilities, not scores.", nameof(probabilities));
            if ((uint)labels[i] >= (uint)r.Length) throw new ArgumentException($"Row {i + 1}: class index {labels[i]} is outside 0…{r.Length - 1}.", nameof(labels));
            s -= Math.Log(Math.Clamp(r[labels[i]], eps, 1 - eps));
        }
        return s / labels.Count;
    }

    /// <summary>The fraction of entries whose truth lies in mean ± z·√variance (|y − μ| ≤ z·σ).</summary>
    /// <exception cref="ArgumentException">Shapes differ, z is not positive, a variance is negative or NaN, or there are no entries.</exception>
    public static double Coverage(Matrix mean, Matrix variance, Matrix truth, double z)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        ArgumentNullException.ThrowIfNull(truth);
        mean.RequireSameShape(truth, nameof(truth));
        variance.RequireSameShape(truth, nameof(variance));
        if (!(z > 0)) throw new ArgumentException($"The interval half-width z must be > 0, got {z}.", nameof(z));
        if (truth.Data.Length == 0) throw new ArgumentException("Coverage of no entries is undefined.", nameof(truth));
        int inside = 0;
        for (int i = 0; i < truth.Data.Length; i++)
        {
            double v = variance.Data[i];
            if (!(v >= 0)) throw new ArgumentException($"Entry {i + 1} has the variance {v}; variances must be ≥ 0.", nameof(variance));
            if (Math.Abs(truth.Data[i] - mean.Data[i]) <= z * Math.Sqrt(v)) inside++;
        }
        return (double)inside / truth.Data.Length;
    }

    /// <summary>The coverage of the ±1σ and ±1.96σ intervals (ideally 68.3 % and 95 % for a calibrated Gaussian predictive distribution).</summary>
    public static CalibrationScores Calibration(Matrix mean, Matrix variance, Matrix truth) =>
        new(Coverage(mean, variance, truth, 1.0), Coverage(mean, variance, truth, 1.96), truth?.Data.Length ?? 0);
}

/// <summary>Scores of a regression.</summary>
/// <param name="MeanSquaredError">Mean of (ŷ − y)² over all entries.</param>
/// <param name="RSquared">Coefficient of determination, averaged over target columns.</param>
/// <param name="MeanAbsoluteError">Mean of |ŷ − y| over all entries.</param>
public sealed record RegressionScores(double MeanSquaredError, double RSquared, double MeanAbsoluteError);

/// <summary>Scores of a classification.</summary>
/// <param name="Accuracy">Fraction of rows classified correctly.</param>
/// <param name="LogLoss">The log-loss when the model gives class probabilities; null for kernel regression scores, which are not probabilities.</param>
/// <param name="ConfusionMatrix">Rows: true class, columns: predicted class, both in code order.</param>
/// <param name="Classes">The classes in code order.</param>
public sealed record ClassificationScores(double Accuracy, double? LogLoss, int[][] ConfusionMatrix, IReadOnlyList<string> Classes);

/// <summary>Precision, recall, F1 and support of one class, or an average over the classes (<see cref="Metrics.Classification"/>).</summary>
/// <param name="Class">The class name, or "macro avg" / "weighted avg".</param>
/// <param name="Precision">Of the rows predicted as the class, the fraction that are of it (0 when none is predicted as it).</param>
/// <param name="Recall">Of the class's rows, the fraction predicted as it (0 when it has no rows).</param>
/// <param name="F1">The harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">The class's rows (for an average: all rows).</param>
public sealed record ClassScores(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>A classifier's scores on labelled rows (<see cref="Metrics.Classification"/>, scikit-learn's <c>classification_report</c>).</summary>
/// <param name="Accuracy">Fraction of rows classified correctly.</param>
/// <param name="ConfusionMatrix">Rows: true class, columns: predicted class, both in code order.</param>
/// <param name="Classes">The class names in code order.</param>
/// <param name="PerClass">The scores of each class, in code order.</param>
/// <param name="MacroAverage">The plain mean of the per-class scores.</param>
/// <param name="WeightedAverage">The per-class scores weighted by support.</param>
public sealed record ClassificationReport(double Accuracy, int[][] ConfusionMatrix, IReadOnlyList<string> Classes, IReadOnlyList<ClassScores> PerClass,
    ClassScores MacroAverage, ClassScores WeightedAverage);

/// <summary>Calibration of a predictive variance on test data.</summary>
/// <param name="WithinOneSigma">Fraction of test targets inside mean ± σ (≈ 0.683 when calibrated).</param>
/// <param name="Within196Sigma">Fraction inside mean ± 1.96σ (≈ 0.95 when calibrated).</param>
/// <param name="Count">Number of test targets (entries).</param>
public sealed record CalibrationScores(double WithinOneSigma, double Within196Sigma, int Count);

/// <summary>A model's scores on a test table: <see cref="Regression"/> or <see cref="Classification"/>, and <see cref="Calibration"/> for a GP.</summary>
/// <param name="Count">Number of test rows.</param>
/// <param name="Regression">MSE, R², MAE (regression), else null.</param>
/// <param name="Classification">Accuracy, confusion matrix (classification), else null.</param>
/// <param name="Calibration">Interval coverage of the GP predictive variance, or null when the model has none.</param>
public sealed record ModelEvaluation(int Count, RegressionScores? Regression, ClassificationScores? Classification, CalibrationScores? Calibration);
