using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// A table with its target split off (docs/DATA.md): features <see cref="X"/> (n×d) and targets
/// <see cref="Y"/>. For regression Y holds the target columns (n×t); for classification Y is the one-hot
/// code (n×k) of <see cref="RawLabels"/> under <see cref="Labels"/>.
/// </summary>
/// <param name="X">Features, one row per sample.</param>
/// <param name="Y">Targets: numeric columns (regression) or the one-hot code (classification).</param>
/// <param name="FeatureNames">Names of the feature columns (from the header, else "x1", "x2", …).</param>
/// <param name="TargetNames">Names of the target columns (one for classification).</param>
/// <param name="Task">Regression or classification.</param>
/// <param name="Labels">The class code (classification only).</param>
/// <param name="RawLabels">The labels as read (classification only).</param>
public sealed record LabeledData(Matrix X, Matrix Y, IReadOnlyList<string> FeatureNames, IReadOnlyList<string> TargetNames,
    TaskKind Task, LabelEncoder? Labels = null, IReadOnlyList<string>? RawLabels = null)
{
    /// <summary>Number of samples.</summary>
    public int Count => X.Rows;

    /// <summary>The rows <paramref name="indices"/> (in that order), with the same names and class code.</summary>
    public LabeledData Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var x = X.SelectRows(indices);
        var y = Y.SelectRows(indices);
        return this with { X = x, Y = y, RawLabels = RawLabels is null ? null : indices.Select(i => RawLabels[i]).ToArray() };
    }
}
