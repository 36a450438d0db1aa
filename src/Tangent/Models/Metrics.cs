using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>Error and accuracy measures.</summary>
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
}
