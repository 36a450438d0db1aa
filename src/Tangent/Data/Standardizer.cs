using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// Standardises columns to zero mean and unit variance: z = (x - mean) / std, with the mean and the
/// population standard deviation (divisor n, as scikit-learn's StandardScaler) fitted on training
/// data only and then applied unchanged to test data.
/// </summary>
/// <remarks>
/// A column that is constant on the training data (std below <see cref="MinScale"/>) keeps a scale
/// of 1: it is centred but not divided, so it becomes all zeros on the training data instead of NaN.
/// </remarks>
public sealed record Standardizer
{
    /// <summary>Subtract the column means (default true).</summary>
    public bool Center { get; init; } = true;

    /// <summary>Divide by the column standard deviations (default true).</summary>
    public bool Scale { get; init; } = true;

    /// <summary>Relative threshold: a column whose std is at most MinScale·(1 + |mean|) counts as constant (scale 1). Default 1e-12.</summary>
    public double MinScale { get; init; } = 1e-12;

    /// <summary>Fits the column means and standard deviations on <paramref name="train"/>.</summary>
    /// <exception cref="ArgumentException">The matrix has no rows or a non-finite value.</exception>
    public FittedStandardizer Fit(Matrix train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Rows == 0)
            throw new ArgumentException($"Cannot fit a standardizer on {train.Shape} data: it has no rows.", nameof(train));
        if (!train.AllFinite())
            throw new ArgumentException("Cannot fit a standardizer: the data has NaN or infinite values. Impute or drop them first.", nameof(train));
        int n = train.Rows, d = train.Cols;
        var mean = new double[d];
        var scale = new double[d];
        for (int i = 0; i < n; i++)
        {
            var r = train.Row(i);
            for (int j = 0; j < d; j++) mean[j] += r[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        var ss = new double[d];
        for (int i = 0; i < n; i++)
        {
            var r = train.Row(i);
            for (int j = 0; j < d; j++)
            {
                double c = r[j] - mean[j];
                ss[j] += c * c;
            }
        }
        var constant = new bool[d];
        for (int j = 0; j < d; j++)
        {
            double sd = Math.Sqrt(ss[j] / n);
            constant[j] = sd <= MinScale * (1 + Math.Abs(mean[j]));
            scale[j] = !Scale || constant[j] ? 1.0 : sd;
            if (!Center) mean[j] = 0;
        }
        return new FittedStandardizer(mean, scale, constant);
    }

    /// <summary>Fits on <paramref name="train"/> and returns it standardised with the fitted transform.</summary>
    public (FittedStandardizer Fitted, Matrix Transformed) FitTransform(Matrix train)
    {
        var f = Fit(train);
        return (f, f.Transform(train));
    }
}

/// <summary>A fitted <see cref="Standardizer"/>: per-column means and scales.</summary>
public sealed class FittedStandardizer
{
    private readonly double[] _mean, _scale;
    private readonly bool[] _constant;

    internal FittedStandardizer(double[] mean, double[] scale, bool[] constant)
    {
        _mean = mean;
        _scale = scale;
        _constant = constant;
    }

    /// <summary>The subtracted column means (zeros when centring was off).</summary>
    public IReadOnlyList<double> Means => _mean;

    /// <summary>The column divisors (1 for constant columns or when scaling was off).</summary>
    public IReadOnlyList<double> Scales => _scale;

    /// <summary>Which columns were constant on the training data.</summary>
    public IReadOnlyList<bool> ConstantColumns => _constant;

    /// <summary>Number of columns fitted.</summary>
    public int Columns => _mean.Length;

    /// <summary>Returns (x - mean) / scale for every row (a new matrix).</summary>
    /// <exception cref="ArgumentException">The column count differs from the fitted one.</exception>
    public Matrix Transform(Matrix x)
    {
        Check(x);
        var z = x.Clone();
        for (int i = 0; i < z.Rows; i++)
        {
            var r = z.Row(i);
            for (int j = 0; j < r.Length; j++) r[j] = (r[j] - _mean[j]) / _scale[j];
        }
        return z;
    }

    /// <summary>Returns z·scale + mean for every row, undoing <see cref="Transform"/> (e.g. for predicted targets).</summary>
    /// <exception cref="ArgumentException">The column count differs from the fitted one.</exception>
    public Matrix InverseTransform(Matrix z)
    {
        Check(z);
        var x = z.Clone();
        for (int i = 0; i < x.Rows; i++)
        {
            var r = x.Row(i);
            for (int j = 0; j < r.Length; j++) r[j] = r[j] * _scale[j] + _mean[j];
        }
        return x;
    }

    private void Check(Matrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Cols != _mean.Length)
            throw new ArgumentException(
                $"Shape mismatch: the standardizer was fitted on {_mean.Length} columns but the data is {x.Shape}. Transform data with the same columns as the training data.",
                nameof(x));
    }
}
