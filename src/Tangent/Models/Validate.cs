using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>Boundary checks shared by the estimators; messages name the fix, as scikit-learn's do.</summary>
internal static class Validate
{
    public static void Finite(Matrix m, string what)
    {
        if (m.FirstNonFinite() is var (i, j))
            throw new ArgumentException($"{what} has {(double.IsNaN(m[i, j]) ? "NaN" : "an infinite value")} at row {i + 1}, column {j + 1}. Remove or impute missing values before fitting.");
    }

    public static void TrainingPair(Matrix x, Matrix y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rows == 0) throw new ArgumentException("The training inputs have no rows; at least one sample is needed.");
        if (x.Rows != y.Rows)
            throw new ArgumentException($"The training inputs have {x.Rows} rows but the targets have {y.Rows}; give one target row per input row.");
        if (y.Cols == 0) throw new ArgumentException("The targets have no columns.");
        Finite(x, "The training inputs");
        Finite(y, "The targets");
    }

    public static void TestInputs(Matrix x, int features)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Cols != features)
            throw new ArgumentException($"The test inputs have {x.Cols} features but the model was fitted on {features}; use the same columns as in training.");
        Finite(x, "The test inputs");
    }

    public static void Ridge(Dynamics.Ridge ridge)
    {
        if (!(ridge.Value >= 0) || !double.IsFinite(ridge.Value))
            throw new ArgumentOutOfRangeException(nameof(ridge), ridge.Value, "The ridge λ must be a finite number ≥ 0 (Ridge.None means the minimum-norm interpolant; e.g. Ridge.Absolute(1e-6) or Ridge.Relative(1e-4)).");
    }
}
