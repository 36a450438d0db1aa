namespace Tangent.Numerics;

/// <summary>Settings of <see cref="KrylovFunction"/>.</summary>
public sealed record KrylovSettings
{
    /// <summary>Stop a column when, for every function, the approximation of f(A)·b changed between two
    /// checks by at most Tolerance·‖f(A)·b‖ (default 1e-10).</summary>
    public double Tolerance { get; init; } = 1e-10;

    /// <summary>The largest Krylov dimension per column (default 200). The basis is kept for full
    /// reorthogonalization: 8·n·(dimension + 1) bytes per right-hand side column.</summary>
    public int MaxDimension { get; init; } = 200;

    /// <summary>The provider for the small tridiagonal eigenproblems; null: <see cref="LinearAlgebra.Provider"/>.</summary>
    public ILinearAlgebraProvider? Provider { get; init; }

    /// <summary>Checked once per Lanczos step.</summary>
    public CancellationToken CancellationToken { get; init; }

    internal void Check()
    {
        if (!(Tolerance > 0) || double.IsPositiveInfinity(Tolerance))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), $"The Krylov tolerance must be a finite number > 0; got {Tolerance}. Use e.g. 1e-10.");
        if (MaxDimension < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxDimension), $"The Krylov dimension limit must be ≥ 1; got {MaxDimension}. Use e.g. 200.");
    }
}

/// <summary>The outcome of <see cref="KrylovFunction.Apply"/>.</summary>
/// <param name="Values">f(A)·B for each function, in the order given (each n×k).</param>
/// <param name="Dimensions">Per function: the Krylov dimension at which it met the tolerance (the largest over
/// the columns; the final dimension where it did not).</param>
/// <param name="Estimates">Per function: the a-posteriori error estimate, the last relative change
/// ‖y_m − y_m'‖/‖y_m‖ between two checks (the largest over the columns; 0 when the Krylov space became invariant).</param>
/// <param name="Dimension">The largest Krylov dimension built (the operator products, counted per column).</param>
/// <param name="Converged">True when every column met the tolerance for every function (or its Krylov space became invariant).</param>
public sealed record KrylovFunctionResult(IReadOnlyList<Matrix> Values, IReadOnlyList<int> Dimensions, IReadOnlyList<double> Estimates, int Dimension, bool Converged)
{
    /// <summary>"Krylov dimension 37, converged, estimate 4.1e-12" — for logs and the command line.</summary>
    public string Summary => $"Krylov dimension {Dimension}, {(Converged ? "converged" : "NOT converged")}, estimate {(Estimates.Count == 0 ? 0 : Estimates.Max()):G3}";
}

/// <summary>
/// f(A)·B for a symmetric positive-semidefinite operator A known only through products
/// (<see cref="LinearOperator"/>), by the Lanczos process (docs/SOLVERS.md, "Finite-time ensemble means
/// without eigendecomposition"): per column b of B, the orthonormal basis Q_m of the Krylov space
/// span{b, Ab, …, A^{m−1}b} and the tridiagonal T_m = Q_mᵀAQ_m give f(A)·b ≈ ‖b‖·Q_m·f(T_m)·e₁, with
/// f(T_m) from the eigendecomposition of the small T_m. The basis does not depend on f, so several
/// functions (e.g. φ_τ for many times τ) are evaluated from one basis. All columns run together and
/// share each operator product; the basis is fully reorthogonalized (twice, classical Gram–Schmidt),
/// so the memory is n·(m + 1) doubles per column and A is never formed or factorized here.
/// A column stops when the approximations of every f(A)·b at two successive checks differ by at most
/// the tolerance relative to the newer one, when its Krylov space becomes invariant (exact answer), or
/// at the dimension limit.
/// </summary>
public static class KrylovFunction
{
    /// <summary>Computes f(A)·B for each function in <paramref name="functions"/> from one Lanczos basis per column.</summary>
    /// <param name="a">The operator A (symmetric positive semidefinite; n×n).</param>
    /// <param name="b">The n×k right-hand sides.</param>
    /// <param name="functions">Scalar functions, evaluated at the Ritz values (eigenvalues of T_m); they
    /// should be defined on a neighbourhood of A's spectrum (Ritz values of a PSD A can be −ε·‖A‖).</param>
    /// <param name="settings">Tolerance, dimension limit, provider, cancellation; null for the defaults.</param>
    /// <exception cref="ArgumentException">B has a non-finite entry, no function was given, or the operator returned a non-finite value.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static KrylovFunctionResult Apply(LinearOperator a, Matrix b, IReadOnlyList<Func<double, double>> functions, KrylovSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(functions);
        if (functions.Count == 0) throw new ArgumentException("Give at least one function to apply.", nameof(functions));
        settings ??= new KrylovSettings();
        settings.Check();
        if (b.FirstNonFinite() is var (row, col))
            throw new ArgumentException($"Right-hand side entry (row {row + 1}, column {col + 1}) is not finite.", nameof(b));
        var provider = settings.Provider ?? LinearAlgebra.Provider;
        int n = b.Rows, k = b.Cols, nf = functions.Count;
        int limit = Math.Min(settings.MaxDimension, Math.Max(n, 1));
        var columns = new LanczosColumn[k];
        var active = new List<int>();
        for (int j = 0; j < k; j++)
        {
            var v = new double[n];
            for (int i = 0; i < n; i++) v[i] = b[i, j];
            columns[j] = new LanczosColumn(v, nf);
            if (!columns[j].Finished) active.Add(j);
        }
        int dimension = 0;
        while (active.Count > 0)
        {
            settings.CancellationToken.ThrowIfCancellationRequested();
            var products = Multiply(a, columns, active, n);
            var still = new List<int>();
            for (int s = 0; s < active.Count; s++)
            {
                var c = columns[active[s]];
                bool invariant = c.Step(products[s], active[s]);
                dimension = Math.Max(dimension, c.Size);
                bool last = invariant || c.Size >= limit;
                if (last || IsCheckpoint(c.Size))
                {
                    c.Evaluate(functions, settings.Tolerance, provider, exact: invariant);
                    if (last || c.AllConverged) { c.Finish(); continue; }
                }
                still.Add(active[s]);
            }
            active = still;
        }
        var values = new Matrix[nf];
        var dims = new int[nf];
        var estimates = new double[nf];
        bool converged = true;
        for (int f = 0; f < nf; f++) values[f] = new Matrix(n, k);
        for (int j = 0; j < k; j++)
        {
            var c = columns[j];
            converged &= c.AllConverged;
            for (int f = 0; f < nf; f++)
            {
                dims[f] = Math.Max(dims[f], c.ConvergedAt[f] > 0 ? c.ConvergedAt[f] : c.Size);
                estimates[f] = Math.Max(estimates[f], c.Estimates[f]);
                c.Combine(f, values[f], j);
            }
        }
        return new KrylovFunctionResult(values, dims, estimates, dimension, converged);
    }

    /// <summary>τ·φ(τz) = (1 − e^{−τz})/z (τ at z = 0): the function of gradient-descent dynamics,
    /// A⁻¹(I − e^{−Aτ}) without an inverse (entire in z; finite τ ≥ 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">τ is negative or not finite.</exception>
    public static Func<double, double> Phi(double tau)
    {
        RequireTau(tau);
        return z => PhiValue(tau, z);
    }

    /// <summary>e^{−τz} (finite τ ≥ 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">τ is negative or not finite.</exception>
    public static Func<double, double> Exp(double tau)
    {
        RequireTau(tau);
        return z => Math.Exp(-tau * z);
    }

    /// <summary>(1 − e^{−τz})/z, accurate for small |τz| (τ at z = 0).</summary>
    internal static double PhiValue(double tau, double z)
    {
        double x = tau * z;
        if (x == 0) return tau;
        if (Math.Abs(x) < 1e-5) return tau * (1 - x / 2 + x * x / 6);
        return -ExpM1(-x) / z;
    }

    /// <summary>
    /// An estimate of λ_max(A) from a few Lanczos steps on a fixed pseudo-random start vector: the largest
    /// Ritz value θ plus its residual bound β_m·|s_m| (an eigenvalue lies within that distance of θ), which
    /// is an upper bound for λ_max as soon as θ approximates the top eigenvalue (Lanczos finds the extreme
    /// eigenvalues first). Stops when the bound is below <paramref name="tolerance"/>·θ, or at
    /// <paramref name="maxDimension"/>; exact when the Krylov space becomes invariant.
    /// </summary>
    /// <param name="a">The operator (symmetric, n×n).</param>
    /// <param name="n">Its order.</param>
    /// <param name="maxDimension">The most Lanczos steps (default 60).</param>
    /// <param name="tolerance">The relative residual bound at which to stop (default 1e-8).</param>
    /// <param name="provider">For the small eigenproblems; null: <see cref="LinearAlgebra.Provider"/>.</param>
    public static double EstimateLargestEigenvalue(LinearOperator a, int n, int maxDimension = 60, double tolerance = 1e-8, ILinearAlgebraProvider? provider = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (n == 0) return 0;
        provider ??= LinearAlgebra.Provider;
        var rng = new Random(20260101);
        var start = new double[n];
        for (int i = 0; i < n; i++) start[i] = rng.NextDouble() - 0.5;
        var c = new LanczosColumn(start, 0);
        int limit = Math.Min(Math.Max(maxDimension, 1), n);
        var into = new Matrix(n, 1);
        while (true)
        {
            var v = new Matrix(n, 1, (double[])c.Last.Clone());
            a(v, into);
            bool invariant = c.Step((double[])into.Data.Clone(), 0);
            var eigen = SymmetricEigen.Compute(c.Tridiagonal(), provider);
            int m = c.Size;
            double theta = eigen.Values[^1];
            double residual = invariant ? 0 : Math.Abs(c.NextBeta * eigen.Vectors[m - 1, m - 1]);
            if (invariant || m >= limit || residual <= tolerance * Math.Abs(theta)) return theta + residual;
        }
    }

    private static bool IsCheckpoint(int m) => m <= 24 || m % Math.Max(1, m / 12) == 0;

    private static double[][] Multiply(LinearOperator a, LanczosColumn[] columns, List<int> active, int n)
    {
        int c = active.Count;
        var v = new Matrix(n, c);
        for (int s = 0; s < c; s++)
        {
            var q = columns[active[s]].Last;
            for (int i = 0; i < n; i++) v.Data[i * c + s] = q[i];
        }
        var into = new Matrix(n, c);
        a(v, into);
        var result = new double[c][];
        for (int s = 0; s < c; s++)
        {
            var w = new double[n];
            for (int i = 0; i < n; i++) w[i] = into.Data[i * c + s];
            result[s] = w;
        }
        return result;
    }

    private static void RequireTau(double tau)
    {
        if (!(tau >= 0) || !double.IsFinite(tau))
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "τ must be a finite number ≥ 0 (t = ∞ is a linear solve: use Cholesky or conjugate gradient).");
    }

    /// <summary>e^x − 1 without cancellation for small |x| (Kahan's trick).</summary>
    private static double ExpM1(double x)
    {
        if (Math.Abs(x) >= 0.5) return Math.Exp(x) - 1;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        return (u - 1.0) * x / Math.Log(u);
    }

    /// <summary>One column's Lanczos recurrence with full reorthogonalization, and its running approximations.</summary>
    private sealed class LanczosColumn
    {
        private readonly List<double[]> _q = [];
        private readonly List<double> _alpha = [];
        private readonly List<double> _beta = [];   // β_i couples q_i and q_{i+1}
        private readonly double _norm;              // ‖b‖
        private double _scale;                      // running max of |α| + β (‖T‖ estimate)
        private double[][] _coefficients;           // per function: f(T_m)·e₁·‖b‖ at the last check

        public LanczosColumn(double[] b, int functions)
        {
            double s = 0;
            foreach (double v in b) s += v * v;
            _norm = Math.Sqrt(s);
            _coefficients = new double[functions][];
            for (int f = 0; f < functions; f++) _coefficients[f] = [];
            Estimates = new double[functions];
            ConvergedAt = new int[functions];
            Array.Fill(Estimates, double.PositiveInfinity);
            if (_norm == 0)
            {
                Finished = true;
                AllConverged = true;
                Array.Fill(Estimates, 0.0);
                return;
            }
            for (int i = 0; i < b.Length; i++) b[i] /= _norm;
            _q.Add(b);
        }

        public bool Finished { get; private set; }
        public bool AllConverged { get; private set; }
        public double[] Estimates { get; }
        public int[] ConvergedAt { get; }

        /// <summary>m, the number of α computed (the order of T_m).</summary>
        public int Size => _alpha.Count;

        /// <summary>The last basis vector, the next one to multiply by A.</summary>
        public double[] Last => _q[^1];

        /// <summary>β_m, the coupling to the next basis vector (valid after a non-invariant step).</summary>
        public double NextBeta => _beta[^1];

        /// <summary>Absorbs w = A·q_m: α_m, then the next vector orthogonalized against the whole basis
        /// (twice). Returns true when the Krylov space is invariant (β_m at round-off level).</summary>
        public bool Step(double[] w, int column)
        {
            int m = _alpha.Count;
            var q = _q[m];
            double alpha = 0;
            for (int i = 0; i < w.Length; i++)
            {
                if (!double.IsFinite(w[i]))
                    throw new ArgumentException($"The operator returned a non-finite value (row {i + 1}, right-hand side column {column + 1}, Lanczos step {m + 1}); check the kernel.", nameof(w));
                alpha += q[i] * w[i];
            }
            _alpha.Add(alpha);
            for (int i = 0; i < w.Length; i++) w[i] -= alpha * q[i];
            if (m > 0)
            {
                var prev = _q[m - 1];
                double b = _beta[m - 1];
                for (int i = 0; i < w.Length; i++) w[i] -= b * prev[i];
            }
            for (int pass = 0; pass < 2; pass++)
                foreach (var v in _q)
                {
                    double h = 0;
                    for (int i = 0; i < w.Length; i++) h += v[i] * w[i];
                    for (int i = 0; i < w.Length; i++) w[i] -= h * v[i];
                }
            double s = 0;
            foreach (double x in w) s += x * x;
            double beta = Math.Sqrt(s);
            _scale = Math.Max(_scale, Math.Abs(alpha) + beta + (m > 0 ? _beta[m - 1] : 0));
            _beta.Add(beta);
            if (beta <= 64 * 2.220446049250313e-16 * _scale || _q.Count >= w.Length) return true;
            for (int i = 0; i < w.Length; i++) w[i] /= beta;
            _q.Add(w);
            return false;
        }

        /// <summary>T_m as a dense symmetric matrix.</summary>
        public Matrix Tridiagonal()
        {
            int m = _alpha.Count;
            var t = new Matrix(m, m);
            for (int i = 0; i < m; i++)
            {
                t[i, i] = _alpha[i];
                if (i + 1 < m) { t[i, i + 1] = _beta[i]; t[i + 1, i] = _beta[i]; }
            }
            return t;
        }

        /// <summary>Evaluates every f(T_m)·e₁, compares with the last check, and records the estimates.</summary>
        public void Evaluate(IReadOnlyList<Func<double, double>> functions, double tolerance, ILinearAlgebraProvider provider, bool exact)
        {
            int m = _alpha.Count;
            var eigen = SymmetricEigen.Compute(Tridiagonal(), provider);
            bool all = true;
            var next = new double[functions.Count][];
            for (int f = 0; f < functions.Count; f++)
            {
                var c = new double[m];
                for (int r = 0; r < m; r++)
                {
                    double w = functions[f](eigen.Values[r]) * eigen.Vectors[0, r] * _norm;
                    for (int i = 0; i < m; i++) c[i] += eigen.Vectors[i, r] * w;
                }
                var old = _coefficients[f];
                double diff = 0, size = 0;
                for (int i = 0; i < m; i++)
                {
                    double d = c[i] - (i < old.Length ? old[i] : 0);
                    diff += d * d;
                    size += c[i] * c[i];
                }
                double estimate = exact ? 0 : diff == 0 ? 0 : size == 0 ? double.PositiveInfinity : Math.Sqrt(diff / size);
                if (!double.IsFinite(size))
                    throw new ArgumentException($"The function {f + 1} is not finite on the Ritz values of the operator (Krylov dimension {m}); it must be defined on the operator's spectrum.", nameof(functions));
                Estimates[f] = estimate;
                if (estimate <= tolerance) { if (ConvergedAt[f] == 0) ConvergedAt[f] = m; }
                else { ConvergedAt[f] = 0; all = false; }
                next[f] = c;
            }
            _coefficients = next;
            AllConverged = all;
        }

        public void Finish() => Finished = true;

        /// <summary>Writes Q_m·c for function f into column j of <paramref name="into"/>.</summary>
        public void Combine(int f, Matrix into, int j)
        {
            var c = _coefficients[f];
            int k = into.Cols;
            for (int r = 0; r < c.Length; r++)
            {
                var q = _q[r];
                double w = c[r];
                if (w == 0) continue;
                for (int i = 0; i < q.Length; i++) into.Data[i * k + j] += w * q[i];
            }
        }
    }
}
