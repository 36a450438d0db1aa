namespace Tangent.Numerics;

/// <summary>
/// Applies a symmetric positive (semi)definite n×n operator to k columns at once: <c>into = K·V</c>
/// (both n×k, <c>into</c> is overwritten). The operator can read K from memory, from a store in row
/// blocks, or recompute kernel tiles on the fly; the solver only needs the products (docs/SOLVERS.md).
/// </summary>
/// <param name="v">The n×k block of vectors.</param>
/// <param name="into">The n×k result, overwritten.</param>
public delegate void LinearOperator(Matrix v, Matrix into);

/// <summary>A preconditioner: applies an approximation of A⁻¹ (symmetric positive definite) to k columns.</summary>
public interface IPreconditioner
{
    /// <summary>Writes P⁻¹·R into <paramref name="into"/> (both n×k; <paramref name="r"/> is not modified).</summary>
    void Apply(Matrix r, Matrix into);
}

/// <summary>Settings of <see cref="ConjugateGradient"/>.</summary>
public sealed record ConjugateGradientSettings
{
    /// <summary>Stop a column when ‖b − A·x‖ ≤ Tolerance·‖b‖ (the relative residual; default 1e-8).</summary>
    public double Tolerance { get; init; } = 1e-8;

    /// <summary>Most iterations (default 1000); each costs one operator product on the unconverged columns.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Called after every iteration with that iteration's record (for a log or progress).</summary>
    public Action<ConjugateGradientIteration>? OnIteration { get; init; }

    /// <summary>Checked once per iteration.</summary>
    public CancellationToken CancellationToken { get; init; }

    internal void Check()
    {
        if (!(Tolerance > 0) || double.IsPositiveInfinity(Tolerance))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), $"The CG tolerance must be a finite number > 0; got {Tolerance}. Use e.g. 1e-8.");
        if (MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), $"The CG iteration limit must be ≥ 1; got {MaxIterations}.");
    }
}

/// <summary>One line of the iteration log: the iteration (1-based) and every column's relative residual ‖r‖/‖b‖.</summary>
/// <param name="Iteration">1-based iteration number.</param>
/// <param name="RelativeResiduals">‖rⱼ‖/‖bⱼ‖ for each right-hand side j after this iteration.</param>
/// <param name="Converged">How many columns have reached the tolerance.</param>
public sealed record ConjugateGradientIteration(int Iteration, IReadOnlyList<double> RelativeResiduals, int Converged)
{
    /// <summary>The largest relative residual over the columns.</summary>
    public double MaxRelativeResidual => RelativeResiduals.Count == 0 ? 0 : RelativeResiduals.Max();
}

/// <summary>The outcome of <see cref="ConjugateGradient.Solve"/>.</summary>
/// <param name="Solution">X (n×k).</param>
/// <param name="Iterations">Iterations done (the operator products, not counting the initial residual).</param>
/// <param name="Converged">True when every column reached the tolerance.</param>
/// <param name="RelativeResiduals">The final ‖rⱼ‖/‖bⱼ‖ per column (recurrence residuals).</param>
/// <param name="Log">Every iteration's record, in order.</param>
public sealed record ConjugateGradientResult(Matrix Solution, int Iterations, bool Converged, IReadOnlyList<double> RelativeResiduals, IReadOnlyList<ConjugateGradientIteration> Log)
{
    /// <summary>"CG: 23 iterations, converged, max relative residual 3.1e-9" — for logs and the command line.</summary>
    public string Summary => $"{Iterations} iterations, {(Converged ? "converged" : "NOT converged")}, max relative residual {(RelativeResiduals.Count == 0 ? 0 : RelativeResiduals.Max()):G3}";
}

/// <summary>
/// Preconditioned conjugate gradient for (A + λI)·X = B with k right-hand sides at once (docs/SOLVERS.md):
/// k independent CG recurrences that share each operator product (one A·P with k columns per
/// iteration), so a streamed or recomputed operator is read once per iteration for all columns.
/// A column stops (its search direction is frozen) when its relative residual reaches the tolerance.
/// Memory: five n×k blocks; A is never formed or factorized here.
/// </summary>
public static class ConjugateGradient
{
    /// <summary>Solves (A + shift·I)·X = B from X = 0.</summary>
    /// <param name="a">The operator A (symmetric positive semidefinite; A + shift·I must be positive definite).</param>
    /// <param name="b">Right-hand sides (n×k).</param>
    /// <param name="shift">λ ≥ 0 added to A's diagonal (the ridge).</param>
    /// <param name="settings">Tolerance, iteration limit, log callback, cancellation; null for the defaults.</param>
    /// <param name="preconditioner">P⁻¹ ≈ (A + λI)⁻¹, or null for none.</param>
    /// <exception cref="ArgumentException">B has non-finite entries or the shift is negative.</exception>
    /// <exception cref="NotPositiveDefiniteException">A direction p with pᵀ(A + λI)p ≤ 0 was met: the operator is not positive definite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static ConjugateGradientResult Solve(LinearOperator a, Matrix b, double shift = 0, ConjugateGradientSettings? settings = null, IPreconditioner? preconditioner = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        settings ??= new ConjugateGradientSettings();
        settings.Check();
        if (!(shift >= 0) || double.IsPositiveInfinity(shift))
            throw new ArgumentException($"The CG shift λ must be finite and ≥ 0; got {shift}.", nameof(shift));
        if (b.FirstNonFinite() is var (row, col))
            throw new ArgumentException($"Right-hand side entry (row {row + 1}, column {col + 1}) is not finite.", nameof(b));
        int n = b.Rows, k = b.Cols;
        var x = new Matrix(n, k);
        var r = b.Clone();
        var z = new Matrix(n, k);
        var p = new Matrix(n, k);
        var ap = new Matrix(n, k);
        var bNorm = ColumnNorms(b);
        var rel = new double[k];
        var done = new bool[k];
        var rz = new double[k];
        var log = new List<ConjugateGradientIteration>();
        int converged = 0;
        for (int j = 0; j < k; j++)
        {
            rel[j] = bNorm[j] == 0 ? 0 : 1;
            if (rel[j] <= settings.Tolerance) { done[j] = true; converged++; }
        }
        if (converged == k) return new ConjugateGradientResult(x, 0, true, rel, log);
        Precondition(preconditioner, r, z);
        Array.Copy(z.Data, p.Data, z.Data.Length);
        ColumnDots(r, z, rz);
        int it = 0;
        var pap = new double[k];
        var rzNew = new double[k];
        while (it < settings.MaxIterations && converged < k)
        {
            settings.CancellationToken.ThrowIfCancellationRequested();
            it++;
            a(p, ap);
            if (shift != 0)
                for (int i = 0; i < ap.Data.Length; i++) ap.Data[i] += shift * p.Data[i];
            ColumnDots(p, ap, pap);
            var alpha = new double[k];
            for (int j = 0; j < k; j++)
            {
                if (done[j]) continue;
                if (!(pap[j] > 0))
                    throw new NotPositiveDefiniteException(
                        $"Conjugate gradient met a direction with pᵀ(A + λI)p = {pap[j]:G3} ≤ 0 (column {j + 1}, iteration {it}): the kernel plus ridge is not positive definite; add a ridge.",
                        0, SuggestedRidge(p, ap, j));
                alpha[j] = rz[j] / pap[j];
            }
            for (int i = 0; i < n; i++)
            {
                int o = i * k;
                for (int j = 0; j < k; j++)
                {
                    if (done[j]) continue;
                    x.Data[o + j] += alpha[j] * p.Data[o + j];
                    r.Data[o + j] -= alpha[j] * ap.Data[o + j];
                }
            }
            var rNorm = ColumnNorms(r);
            for (int j = 0; j < k; j++)
            {
                if (done[j]) continue;
                rel[j] = rNorm[j] / bNorm[j];
                if (rel[j] <= settings.Tolerance) { done[j] = true; converged++; }
            }
            var record = new ConjugateGradientIteration(it, (double[])rel.Clone(), converged);
            log.Add(record);
            settings.OnIteration?.Invoke(record);
            if (converged == k) break;
            Precondition(preconditioner, r, z);
            ColumnDots(r, z, rzNew);
            for (int i = 0; i < n; i++)
            {
                int o = i * k;
                for (int j = 0; j < k; j++)
                    if (!done[j]) p.Data[o + j] = z.Data[o + j] + rzNew[j] / rz[j] * p.Data[o + j];
                    else p.Data[o + j] = 0;   // a converged column costs the operator nothing new and stays put
            }
            Array.Copy(rzNew, rz, k);
        }
        return new ConjugateGradientResult(x, it, converged == k, rel, log);
    }

    /// <summary>A dense operator: V ↦ M·V for a matrix held in memory (with the given provider).</summary>
    public static LinearOperator FromMatrix(Matrix m, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (!m.IsSquare) throw new ArgumentException($"The CG operator matrix must be square; got {m.Shape}.", nameof(m));
        return (v, into) =>
        {
            var prod = LinearAlgebra.Multiply(m, v, provider: provider);
            Array.Copy(prod.Data, into.Data, prod.Data.Length);
        };
    }

    /// <summary>10⁻⁶ × the operator's scale along column j (‖A·p‖/‖p‖), a ridge to suggest.</summary>
    private static double SuggestedRidge(Matrix p, Matrix ap, int j)
    {
        double pp = 0, aa = 0;
        for (int i = 0; i < p.Rows; i++)
        {
            pp += p[i, j] * p[i, j];
            aa += ap[i, j] * ap[i, j];
        }
        double scale = pp > 0 ? Math.Sqrt(aa / pp) : 0;
        return scale > 0 && double.IsFinite(scale) ? 1e-6 * scale : 1e-6;
    }

    private static void Precondition(IPreconditioner? p, Matrix r, Matrix z)
    {
        if (p is null) Array.Copy(r.Data, z.Data, r.Data.Length);
        else p.Apply(r, z);
    }

    internal static double[] ColumnNorms(Matrix m)
    {
        var s = new double[m.Cols];
        ColumnDots(m, m, s);
        for (int j = 0; j < s.Length; j++) s[j] = Math.Sqrt(s[j]);
        return s;
    }

    internal static void ColumnDots(Matrix a, Matrix b, double[] into)
    {
        int k = a.Cols;
        Array.Clear(into);
        for (int i = 0; i < a.Rows; i++)
        {
            int o = i * k;
            for (int j = 0; j < k; j++) into[j] += a.Data[o + j] * b.Data[o + j];
        }
    }
}
