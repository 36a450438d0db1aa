namespace Tangent.Numerics;

/// <summary>
/// The randomized Nyström preconditioner of Frangella, Tropp &amp; Udell (2021, "Randomized Nyström
/// preconditioning", Alg. 2.1 and eq. 5.3) for (A + μI): a rank-ℓ approximation A ≈ U·Λ̂·Uᵀ from one
/// product A·Ω with a random orthonormal n×ℓ test matrix Ω, then
/// P⁻¹ = (λ̂_ℓ + μ)·U·(Λ̂ + μI)⁻¹·Uᵀ + (I − U·Uᵀ) (docs/SOLVERS.md). Memory: n×ℓ; each application costs 2·n·ℓ·k.
/// </summary>
public sealed class NystromPreconditioner : IPreconditioner
{
    private readonly Matrix _u;        // n×r, orthonormal columns
    private readonly double[] _scale;  // (λ̂_r + μ)/(λ̂_i + μ) − 1 per column of U

    /// <summary>The eigenvalue estimates λ̂ of A kept (largest first).</summary>
    public IReadOnlyList<double> Eigenvalues { get; }

    /// <summary>The order n.</summary>
    public int Order => _u.Rows;

    /// <summary>Builds the preconditioner from one product of <paramref name="a"/> with <paramref name="rank"/> random columns.</summary>
    /// <param name="a">The operator A (symmetric positive semidefinite).</param>
    /// <param name="order">n, the operator's order.</param>
    /// <param name="rank">ℓ, the sketch size (1 ≤ ℓ ≤ n); larger is a better but costlier preconditioner.</param>
    /// <param name="shift">μ ≥ 0, the ridge of the system to precondition.</param>
    /// <param name="seed">Seed of the random test matrix.</param>
    /// <param name="provider">Provider for the dense products; null for the process default.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rank is outside 1..n or the shift is negative.</exception>
    public NystromPreconditioner(LinearOperator a, int order, int rank, double shift, int seed = 0, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        if (rank < 1 || rank > order)
            throw new ArgumentOutOfRangeException(nameof(rank), $"The Nyström preconditioner rank must be between 1 and n = {order}; got {rank}.");
        if (!(shift >= 0) || double.IsPositiveInfinity(shift))
            throw new ArgumentOutOfRangeException(nameof(shift), $"The shift μ must be finite and ≥ 0; got {shift}.");
        int n = order, l = rank;
        // Ωᵀ (ℓ×n) with orthonormal rows: Gaussian rows, modified Gram–Schmidt twice.
        var omegaT = Gaussian(l, n, seed);
        Orthonormalize(omegaT);
        Orthonormalize(omegaT);
        var omega = omegaT.Transpose();
        var y = new Matrix(n, l);
        a(omega, y);
        // ν = √n·eps(‖Y‖): a tiny shift so that Ωᵀ(Y + νΩ) is numerically positive definite.
        double yNorm = Math.Sqrt(y.Data.Sum(v => v * v));
        double nu = Math.Sqrt(n) * 2.220446049250313e-16 * Math.Max(yNorm, double.Epsilon);
        for (int i = 0; i < y.Data.Length; i++) y.Data[i] += nu * omega.Data[i];
        var core = LinearAlgebra.Multiply(omegaT, y, provider: provider);   // Ωᵀ·Y_ν (ℓ×ℓ)
        Symmetrize(core);
        Cholesky? c = null;
        for (int attempt = 0; c is null; attempt++)
        {
            c = Cholesky.TryCompute(core, out _, provider);
            if (c is null)
            {
                if (attempt > 40) throw new NotPositiveDefiniteException("The Nyström sketch Ωᵀ·A·Ω is not positive definite: the operator is not positive semidefinite.", 0, 1e-6 * Math.Max(yNorm / Math.Sqrt(l), 1));
                double bump = nu * Math.Pow(10, attempt + 1);
                core.AddToDiagonal(bump);
                nu += bump;
            }
        }
        // B = Y_ν·L⁻ᵀ, so B·Bᵀ = Y_ν(ΩᵀY_ν)⁻¹Y_νᵀ; U, Σ from the eigendecomposition of BᵀB (ℓ×ℓ).
        var bt = c.SolveLower(y.Transpose());                                  // Bᵀ (ℓ×n)
        var g = LinearAlgebra.Multiply(bt, bt, transB: Op.Transpose, provider: provider);
        Symmetrize(g);
        var eig = SymmetricEigen.Compute(g, provider);
        var order2 = Enumerable.Range(0, l).OrderByDescending(i => eig.Values[i]).ToArray();
        double top = Math.Max(eig.Values[order2[0]], 0);
        var keep = order2.Where(i => eig.Values[i] > top * 1e-14 && eig.Values[i] > nu).ToArray();
        int r = Math.Max(keep.Length, 0);
        var lambdas = keep.Select(i => Math.Max(eig.Values[i] - nu, 0)).ToArray();
        // U = B·V·Σ⁻¹ with Σ² the eigenvalues of BᵀB.
        var vs = new Matrix(l, r);
        for (int q = 0; q < r; q++)
        {
            double inv = 1 / Math.Sqrt(eig.Values[keep[q]]);
            for (int i = 0; i < l; i++) vs[i, q] = eig.Vectors[i, keep[q]] * inv;
        }
        _u = LinearAlgebra.Multiply(bt, vs, transA: Op.Transpose, provider: provider);
        double lr = r == 0 ? 0 : lambdas[r - 1];
        _scale = lambdas.Select(lam => (lr + shift) / (lam + shift) - 1).ToArray();
        if (shift == 0 && lr == 0) _scale = new double[r];   // degenerate sketch: fall back to the identity
        Eigenvalues = lambdas;
    }

    /// <inheritdoc/>
    public void Apply(Matrix r, Matrix into)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(into);
        if (r.Rows != Order || into.Rows != Order || into.Cols != r.Cols)
            throw new ArgumentException($"The preconditioner has order {Order}; got R {r.Shape} and output {into.Shape}.");
        Array.Copy(r.Data, into.Data, r.Data.Length);
        if (_scale.Length == 0) return;
        var w = LinearAlgebra.Multiply(_u, r, transA: Op.Transpose);   // Uᵀ·R (r×k)
        for (int q = 0; q < w.Rows; q++)
        {
            var row = w.Row(q);
            for (int j = 0; j < row.Length; j++) row[j] *= _scale[q];
        }
        var corr = LinearAlgebra.Multiply(_u, w);
        for (int i = 0; i < into.Data.Length; i++) into.Data[i] += corr.Data[i];
    }

    private static Matrix Gaussian(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var m = new Matrix(rows, cols);
        for (int i = 0; i < m.Data.Length; i += 2)
        {
            // Box–Muller: two standard normals per pair of uniforms.
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double rad = Math.Sqrt(-2 * Math.Log(u1));
            m.Data[i] = rad * Math.Cos(2 * Math.PI * u2);
            if (i + 1 < m.Data.Length) m.Data[i + 1] = rad * Math.Sin(2 * Math.PI * u2);
        }
        return m;
    }

    /// <summary>Modified Gram–Schmidt on the rows (rows ≤ columns).</summary>
    private static void Orthonormalize(Matrix m)
    {
        for (int i = 0; i < m.Rows; i++)
        {
            var ri = m.Row(i);
            for (int p = 0; p < i; p++)
            {
                var rp = m.Row(p);
                double d = 0;
                for (int j = 0; j < ri.Length; j++) d += ri[j] * rp[j];
                for (int j = 0; j < ri.Length; j++) ri[j] -= d * rp[j];
            }
            double s = 0;
            for (int j = 0; j < ri.Length; j++) s += ri[j] * ri[j];
            s = Math.Sqrt(s);
            if (s == 0) throw new ArithmeticException("The random test matrix lost rank; use another seed.");
            for (int j = 0; j < ri.Length; j++) ri[j] /= s;
        }
    }

    internal static void Symmetrize(Matrix m)
    {
        for (int i = 0; i < m.Rows; i++)
            for (int j = 0; j < i; j++)
            {
                double v = 0.5 * (m[i, j] + m[j, i]);
                m[i, j] = v;
                m[j, i] = v;
            }
    }
}
