using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>A classification data set: inputs X (n×d), integer labels 0..k-1 and class names.</summary>
/// <param name="Name">A short name for reports.</param>
/// <param name="X">The inputs, a row per sample.</param>
/// <param name="Labels">The class of each sample, 0..k-1.</param>
/// <param name="ClassNames">The k class names (label i is ClassNames[i]).</param>
public sealed record ClassificationData(string Name, Matrix X, int[] Labels, IReadOnlyList<string> ClassNames)
{
    /// <summary>Number of samples n.</summary>
    public int Count => X.Rows;

    /// <summary>Number of features d.</summary>
    public int Features => X.Cols;

    /// <summary>Number of classes k.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>One-hot targets n×k, shifted by <paramref name="shift"/> (e.g. -0.1 as in Arora et al. 2019); see <see cref="Preprocessing.OneHot"/>.</summary>
    public Matrix OneHot(double shift = 0) => Preprocessing.OneHot(Labels, ClassCount, shift);

    /// <summary>The samples at the given indices (copies), e.g. a train or test fold.</summary>
    public ClassificationData Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return this with { X = X.SelectRows(indices), Labels = indices.Select(i => Labels[i]).ToArray() };
    }
}

/// <summary>A regression data set: inputs X (n×d) and targets Y (n×k, usually k = 1).</summary>
/// <param name="Name">A short name for reports.</param>
/// <param name="X">The inputs, a row per sample.</param>
/// <param name="Y">The targets, a row per sample.</param>
/// <param name="FeatureNames">Names of the d features, if known.</param>
public sealed record RegressionData(string Name, Matrix X, Matrix Y, IReadOnlyList<string>? FeatureNames = null)
{
    /// <summary>Number of samples n.</summary>
    public int Count => X.Rows;

    /// <summary>Number of features d.</summary>
    public int Features => X.Cols;

    /// <summary>The samples at the given indices (copies).</summary>
    public RegressionData Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return this with { X = X.SelectRows(indices), Y = Y.SelectRows(indices) };
    }
}
