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
    public static double Accuracy(Matrix scores, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Rows != labels.Count) throw new ArgumentException($"{scores.Rows} score rows but {labels.Count} labels.");
        if (scores.Rows == 0) return 0;
        var predicted = Preprocessing.ArgMax(scores);
        int hit = 0;
        for (int i = 0; i < predicted.Length; i++)
            if (predicted[i] == labels[i]) hit++;
        return (double)hit / scores.Rows;
    }
}
