using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>Boundary checks with messages that name the expected and actual shapes and the fix.</summary>
internal static class Shapes
{
    public static void RequireKernel(Matrix? k, string name)
    {
        if (k is null) throw new ArgumentNullException(name, $"The {name} is required.");
        if (!k.IsSquare)
            throw new ArgumentException($"The {name} must be square (n×n, one row and column per training input), got {k.Shape}.", name);
        RequireFinite(k, name);
        int n = k.Rows;
        double scale = 0, worst = 0;
        int wi = 0, wj = 0;
        for (int i = 0; i < n; i++) scale = Math.Max(scale, Math.Abs(k[i, i]));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double d = Math.Abs(k[i, j] - k[j, i]);
                if (d > worst) { worst = d; wi = i; wj = j; }
            }
        if (worst > 1e-8 * Math.Max(scale, 1e-300) && worst > 0)
            throw new ArgumentException(
                $"The {name} must be symmetric: entries ({wi},{wj}) = {k[wi, wj]:G6} and ({wj},{wi}) = {k[wj, wi]:G6} differ by {worst:G3}. " +
                "Pass a kernel of the training inputs with themselves, or symmetrize it as (K + Kᵀ)/2.", name);
    }

    public static void Require(Matrix? m, int rows, int cols, string name, string meaning)
    {
        if (m is null) throw new ArgumentNullException(name, $"The {name} ({meaning}, {rows}×{cols}) is required.");
        if (m.Rows != rows || m.Cols != cols)
            throw new ArgumentException($"The {name} ({meaning}) must be {rows}×{cols}, got {m.Shape}.", name);
        RequireFinite(m, name);
    }

    public static void RequireRows(Matrix? m, int rows, string name, string meaning)
    {
        if (m is null) throw new ArgumentNullException(name, $"The {name} ({meaning}) is required.");
        if (m.Rows != rows)
            throw new ArgumentException($"The {name} ({meaning}) must have {rows} rows, got {m.Shape}.", name);
        if (m.Cols == 0) throw new ArgumentException($"The {name} ({meaning}) has no columns; it needs at least one.", name);
        RequireFinite(m, name);
    }

    public static void RequireFinite(Matrix m, string name)
    {
        if (m.FirstNonFinite() is var (i, j))
            throw new ArgumentException($"The {name} has a non-finite value ({m[i, j]}) at row {i + 1}, column {j + 1}.", name);
    }

    public static void RequireTime(double t)
    {
        if (double.IsNaN(t) || t < 0)
            throw new ArgumentOutOfRangeException(nameof(t), t, "The training time t must be ≥ 0 (double.PositiveInfinity for the end of training).");
    }
}
