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
        double scale = 0;
        for (int i = 0; i < n; i++) scale = Math.Max(scale, Math.Abs(k[i, i]));
        var (worst, wi, wj) = LargestAsymmetry(k);
        if (worst > 1e-8 * Math.Max(scale, 1e-300) && worst > 0)
            throw new ArgumentException(
                $"The {name} must be symmetric: entries ({wi},{wj}) = {k[wi, wj]:G6} and ({wj},{wi}) = {k[wj, wi]:G6} differ by {worst:G3}. " +
                "Pass a kernel of the training inputs with themselves, or symmetrize it as (K + Kᵀ)/2.", name);
    }

    /// <summary>The largest |K[i, j] − K[j, i]| (j &lt; i) and where it is (the first in row-major order among equals). Tiles of
    /// 64×64 against their mirror, tile rows shared among the cores: the plain scan read the upper triangle a column at a
    /// time.</summary>
    internal static (double Worst, int I, int J) LargestAsymmetry(Matrix k)
    {
        const int tile = 64;
        int n = k.Rows, tiles = (n + tile - 1) / tile;
        var best = new (double Worst, int I, int J)[tiles];
        var data = k.Data;
        Parallel.For(0, tiles, bi =>
        {
            int i0 = bi * tile, i1 = Math.Min(n, i0 + tile);
            double worst = 0;
            int wi = 0, wj = 0;
            for (int j0 = 0; j0 < i1; j0 += tile)
            {
                int j1 = Math.Min(i1, j0 + tile);
                for (int i = i0; i < i1; i++)
                    for (int j = j0, jEnd = Math.Min(j1, i); j < jEnd; j++)
                    {
                        double d = Math.Abs(data[(long)i * n + j] - data[(long)j * n + i]);
                        if (d > worst || (d == worst && d > 0 && (i < wi || (i == wi && j < wj)))) { worst = d; wi = i; wj = j; }
                    }
            }
            best[bi] = (worst, wi, wj);
        });
        var result = (Worst: 0.0, I: 0, J: 0);
        foreach (var b in best) if (b.Worst > result.Worst) result = b;   // tile rows in order: the first among equals
        return result;
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
