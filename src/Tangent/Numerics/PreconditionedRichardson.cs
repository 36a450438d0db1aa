namespace Tangent.Numerics;

/// <summary>
/// The EigenPro-style iteration (Ma &amp; Belkin 2017, "Diving into the shallows"; docs/SOLVERS.md) in its
/// full-batch form: X ← X + η·P·(B − (A + λI)·X), where P flattens the top eigen-directions of A (for
/// <see cref="NystromPreconditioner"/>, P = I − U·(I − (λ̂_ℓ + λ)(Λ̂ + λI)⁻¹)·Uᵀ, EigenPro's
/// "shift the top-q eigenvalues down to λ_{q+1}"). The step η is 1/ρ with ρ the largest eigenvalue of P·(A + λI),
/// estimated by power iteration (times a 1.1 safety margin). Slower than conjugate gradient per
/// product, but each step is a plain gradient step, which is what EigenPro's stochastic form builds on.
/// </summary>
public static class PreconditionedRichardson
{
    /// <summary>Solves (A + shift·I)·X = B from X = 0 (same settings, log and result as <see cref="ConjugateGradient.Solve"/>).</summary>
    /// <param name="a">The operator A (symmetric positive semidefinite).</param>
    /// <param name="b">Right-hand sides (n×k).</param>
    /// <param name="shift">λ ≥ 0.</param>
    /// <param name="settings">Tolerance, iteration limit, log, cancellation.</param>
    /// <param name="preconditioner">P (symmetric positive definite), or null for plain Richardson.</param>
    /// <param name="powerIterations">Power iterations for the step size (≥ 1).</param>
    /// <exception cref="ArgumentException">B is not finite or the shift is negative.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static ConjugateGradientResult Solve(LinearOperator a, Matrix b, double shift = 0, ConjugateGradientSettings? settings = null, IPreconditioner? preconditioner = null, int powerIterations = 20)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        settings ??= new ConjugateGradientSettings();
        settings.Check();
        ArgumentOutOfRangeException.ThrowIfLessThan(powerIterations, 1);
        if (!(shift >= 0) || double.IsPositiveInfinity(shift))
            throw new ArgumentException($"The shift λ must be finite and ≥ 0; got {shift}.", nameof(shift));
        if (b.FirstNonFinite() is var (row, col))
            throw new ArgumentException($"Right-hand side entry (row {row + 1}, column {col + 1}) is not finite.", nameof(b));
        int n = b.Rows, k = b.Cols;
        var tmp = new Matrix(n, k);
        void ApplyA(Matrix v, Matrix into)
        {
            a(v, into);
            if (shift != 0) for (int i = 0; i < into.Data.Length; i++) into.Data[i] += shift * v.Data[i];
        }
        void ApplyP(Matrix v, Matrix into)
        {
            if (preconditioner is null) Array.Copy(v.Data, into.Data, v.Data.Length);
            else preconditioner.Apply(v, into);
        }
        double step = 1 / (1.1 * LargestEigenvalue(ApplyA, ApplyP, n, powerIterations, settings.CancellationToken));
        var x = new Matrix(n, k);
        var r = b.Clone();
        var ax = new Matrix(n, k);
        var bNorm = ConjugateGradient.ColumnNorms(b);
        var rel = new double[k];
        var log = new List<ConjugateGradientIteration>();
        int it = 0;
        bool Done(out int converged)
        {
            var rn = ConjugateGradient.ColumnNorms(r);
            converged = 0;
            for (int j = 0; j < k; j++)
            {
                rel[j] = bNorm[j] == 0 ? 0 : rn[j] / bNorm[j];
                if (rel[j] <= settings.Tolerance) converged++;
            }
            return converged == k;
        }
        if (Done(out _)) return new ConjugateGradientResult(x, 0, true, rel, log);
        bool ok = false;
        while (it < settings.MaxIterations)
        {
            settings.CancellationToken.ThrowIfCancellationRequested();
            it++;
            ApplyP(r, tmp);
            for (int i = 0; i < x.Data.Length; i++) x.Data[i] += step * tmp.Data[i];
            ApplyA(x, ax);
            for (int i = 0; i < r.Data.Length; i++) r.Data[i] = b.Data[i] - ax.Data[i];
            ok = Done(out int converged);
            var record = new ConjugateGradientIteration(it, (double[])rel.Clone(), converged);
            log.Add(record);
            settings.OnIteration?.Invoke(record);
            if (ok) break;
        }
        return new ConjugateGradientResult(x, it, ok, rel, log);
    }

    /// <summary>ρ(P·A) by power iteration on P^½·A·P^½'s similar form P·A (its eigenvalues are real and positive).</summary>
    private static double LargestEigenvalue(Action<Matrix, Matrix> applyA, Action<Matrix, Matrix> applyP, int n, int iterations, CancellationToken token)
    {
        var rng = new Random(12345);
        var v = Matrix.Build(n, 1, (_, _) => rng.NextDouble() - 0.5);
        var av = new Matrix(n, 1);
        var pav = new Matrix(n, 1);
        double rho = 0;
        for (int t = 0; t < iterations; t++)
        {
            token.ThrowIfCancellationRequested();
            double norm = Math.Sqrt(v.Data.Sum(e => e * e));
            if (norm == 0) return 1;
            for (int i = 0; i < n; i++) v.Data[i] /= norm;
            applyA(v, av);
            applyP(av, pav);
            // Rayleigh quotient in the A-inner product, where P·A is self-adjoint: ρ ≈ (A v)ᵀ(P A v) / vᵀ A v.
            double num = 0, den = 0;
            for (int i = 0; i < n; i++) { num += av.Data[i] * pav.Data[i]; den += v.Data[i] * av.Data[i]; }
            rho = Math.Max(rho, den > 0 ? num / den : 0);
            Array.Copy(pav.Data, v.Data, n);
        }
        return rho > 0 ? rho : 1;
    }
}
