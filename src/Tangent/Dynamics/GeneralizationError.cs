using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// The expected test loss of an ensemble, split into bias and variance (Roberts &amp; Yaida eq. 10.52,
/// docs/MATH.md §4): E[½·Σ(f − y)²] = ½·Σ(μ − y)² + ½·Σ Var(f), the sums running over all n*×k test
/// entries. Each output column has the same variance over test inputs, so the variance term is
/// ½·k·Σᵢ Cov_ii. The "per entry" figures divide by N* = n*·k; they are the expectation of the
/// training loss's normalisation L = 1/(2N*)·Σ(f − y)² on the test set.
/// </summary>
/// <param name="Bias">½·Σ(μ − y)² over all test entries.</param>
/// <param name="Variance">½·k·Σᵢ Cov_ii (the expected spread of the ensemble around its mean).</param>
/// <param name="Entries">N* = n*·k, the number of test entries.</param>
/// <param name="Accuracy">For classification targets (k ≥ 2, each row with a unique largest entry,
/// e.g. one-hot or shifted one-hot): the fraction of rows whose argmax of the mean matches the
/// argmax of the target; null otherwise.</param>
public sealed record GeneralizationError(double Bias, double Variance, int Entries, double? Accuracy)
{
    /// <summary>Bias + variance: the expected ½·Σ(f − y)² of a network drawn from the ensemble.</summary>
    public double Total => Bias + Variance;

    /// <summary>Bias / N*.</summary>
    public double BiasPerEntry => Entries == 0 ? 0 : Bias / Entries;

    /// <summary>Variance / N*.</summary>
    public double VariancePerEntry => Entries == 0 ? 0 : Variance / Entries;

    /// <summary>Total / N*: the expected test loss 1/(2N*)·Σ(f − y)².</summary>
    public double TotalPerEntry => Entries == 0 ? 0 : Total / Entries;

    /// <summary>Evaluates an ensemble prediction against labelled test targets.</summary>
    /// <param name="prediction">The ensemble's mean and variances (predict with
    /// <see cref="CovarianceMode.Diagonal"/> or <see cref="CovarianceMode.Full"/>).</param>
    /// <param name="yTest">The n*×k test targets.</param>
    /// <exception cref="ArgumentException">Shapes disagree, or the prediction has no variances.</exception>
    public static GeneralizationError Evaluate(EnsemblePrediction prediction, Matrix yTest)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        var mean = prediction.Mean;
        Shapes.Require(yTest, mean.Rows, mean.Cols, nameof(yTest), "test targets, shaped like the predicted mean");
        var variance = prediction.Variance ?? prediction.Covariance?.Diagonal() ?? throw new ArgumentException(
            "The variance term needs the ensemble's variances; predict with CovarianceMode.Diagonal or CovarianceMode.Full.", nameof(prediction));
        if (variance.Length != mean.Rows)
            throw new ArgumentException($"The prediction has {variance.Length} variances for {mean.Rows} test rows.", nameof(prediction));
        double bias = 0;
        for (int i = 0; i < mean.Data.Length; i++) { double d = mean.Data[i] - yTest.Data[i]; bias += d * d; }
        double varSum = 0;
        foreach (double v in variance) varSum += v;
        return new GeneralizationError(0.5 * bias, 0.5 * mean.Cols * varSum, mean.Data.Length, ClassificationAccuracy(mean, yTest));
    }

    /// <summary>The fraction of rows where argmax(prediction) = argmax(target), or null when the
    /// targets are not class labels (k &lt; 2, or a row without a unique largest entry).</summary>
    public static double? ClassificationAccuracy(Matrix predicted, Matrix targets)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        Shapes.Require(targets, predicted.Rows, predicted.Cols, nameof(targets), "targets, shaped like the predictions");
        return targets.Rows > 0 && Data.Preprocessing.LabelsOf(targets) is { } labels ? Data.Preprocessing.Accuracy(predicted, labels) : null;
    }
}
