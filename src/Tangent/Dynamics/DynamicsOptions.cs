using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>How much of the test-output covariance to compute.</summary>
public enum CovarianceMode
{
    /// <summary>Mean only.</summary>
    None,
    /// <summary>The variances (diagonal of the covariance over test inputs), O(n*) memory.</summary>
    Diagonal,
    /// <summary>The full n*×n* covariance over test inputs.</summary>
    Full,
}

/// <summary>How the infinite ensemble's mean at a finite time is computed (docs/SOLVERS.md, "Finite-time
/// ensemble means without eigendecomposition").</summary>
public enum EnsembleMethod
{
    /// <summary><see cref="Lanczos"/> for a mean-only prediction when n exceeds
    /// <see cref="DynamicsOptions.LanczosAbove"/> (and the eigendecomposition was not already computed);
    /// <see cref="Eigen"/> otherwise, and always when a covariance is asked for.</summary>
    Auto,
    /// <summary>The full eigendecomposition of the n×n kernel (O(n³) once, then every time and the covariance are cheap).</summary>
    Eigen,
    /// <summary>Krylov products with the kernel (<see cref="KrylovFunction"/>): O(n²) per Lanczos step, no n×n
    /// workspace beyond the kernel; the mean only (a covariance is refused), λ_max for the learning-rate check
    /// estimated by Lanczos.</summary>
    Lanczos,
}

/// <summary>
/// How a regularized kernel system (K + λI)·α = B is solved: by kernel regression
/// (<see cref="Models.KernelRegression"/>), Gaussian-process inference and the gradient-descent
/// ensembles at t = ∞ (<see cref="DynamicsOptions.Solver"/>). One meaning of <see cref="Auto"/>
/// everywhere: Cholesky when K + λI is positive definite, the pseudoinverse otherwise.
/// </summary>
public enum Solver
{
    /// <summary>Cholesky of K + λI; when it is not positive definite (a singular kernel without
    /// ridge, duplicated inputs), the eigendecomposition pseudoinverse (the minimum-norm solution).</summary>
    Auto,
    /// <summary>Cholesky only; a K + λI that is not positive definite throws
    /// <see cref="NotPositiveDefiniteException"/> (which suggests a ridge).</summary>
    Cholesky,
    /// <summary>Always the eigendecomposition: α = (K + λI)⁺·B, the minimum-norm solution when singular.</summary>
    PseudoInverse,
}

/// <summary>The one implementation of <see cref="Solver"/>'s choice between Cholesky and the pseudoinverse.</summary>
internal static class SolverChoice
{
    /// <summary>
    /// The Cholesky factor of <paramref name="regularized"/> (= K + λI) for <paramref name="solver"/>, or
    /// null when the pseudoinverse is to be used: always for <see cref="Solver.PseudoInverse"/>; for
    /// <see cref="Solver.Auto"/> when DPOTRF fails or a pivot² is at or below n·ε·max diag (a numerically
    /// singular matrix, e.g. duplicated inputs without ridge, whose "successful" factor would give a
    /// meaningless huge solution instead of the minimum-norm one); <see cref="Solver.Cholesky"/> throws.
    /// </summary>
    /// <exception cref="NotPositiveDefiniteException"><see cref="Solver.Cholesky"/> and DPOTRF failed.</exception>
    public static Cholesky? Factor(Matrix regularized, Solver solver, ILinearAlgebraProvider? provider)
    {
        switch (solver)
        {
            case Solver.PseudoInverse: return null;
            case Solver.Cholesky: return Cholesky.Compute(regularized, provider);
            case Solver.Auto:
                var chol = Cholesky.TryCompute(regularized, out _, provider);
                if (chol is null) return null;
                int n = regularized.Rows;
                double maxDiagonal = 0, minPivotSquared = double.PositiveInfinity;
                for (int i = 0; i < n; i++)
                {
                    maxDiagonal = Math.Max(maxDiagonal, regularized[i, i]);
                    double p = chol.Factor[i, i];
                    minPivotSquared = Math.Min(minPivotSquared, p * p);
                }
                return n > 0 && minPivotSquared <= n * 2.220446049250313e-16 * maxDiagonal ? null : chol;
            default:
                throw new ArgumentOutOfRangeException(nameof(solver), solver, "Unknown solver; use Auto, Cholesky or PseudoInverse.");
        }
    }
}

/// <summary>
/// The diagonal regularizer λ added to the train-train kernel that is inverted and exponentiated
/// (docs/MATH.md §4 "Ridge"; Neural Tangents' <c>diag_reg</c> / <c>diag_reg_absolute_scale</c>).
/// </summary>
/// <param name="Value">λ ≥ 0 (absolute), or the factor that multiplies mean(diag K) (relative).</param>
/// <param name="RelativeToMeanDiagonal">When true, the ridge added is <c>Value · trace(K)/n</c>.</param>
public readonly record struct Ridge(double Value, bool RelativeToMeanDiagonal)
{
    /// <summary>No ridge.</summary>
    public static Ridge None => new(0, false);

    /// <summary>An absolute ridge λ.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is negative or not finite.</exception>
    public static Ridge Absolute(double lambda) => new(Check(lambda), false);

    /// <summary>A ridge of <paramref name="factor"/> · mean(diag K) (scale-free; e.g. 1e-4).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The factor is negative or not finite.</exception>
    public static Ridge Relative(double factor) => new(Check(factor), true);

    /// <summary>The absolute λ this ridge adds to <paramref name="kernel"/>'s diagonal.</summary>
    public double ValueFor(Matrix kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        int n = Math.Min(kernel.Rows, kernel.Cols);
        double trace = 0;
        for (int i = 0; i < n; i++) trace += kernel[i, i];
        return ValueForTrace(trace, n);
    }

    /// <summary>The absolute λ for a matrix of order <paramref name="order"/> and trace <paramref name="trace"/>
    /// (e.g. XᵀX of linear regression, whose trace is ‖X‖²_F whichever Gram matrix is solved).</summary>
    internal double ValueForTrace(double trace, int order)
    {
        Check(Value);
        if (!RelativeToMeanDiagonal || Value == 0) return Value;
        return order == 0 ? 0 : Value * trace / order;
    }

    internal static double Check(double v)
    {
        if (!(v >= 0) || !double.IsFinite(v))
            throw new ArgumentOutOfRangeException(nameof(Value), v, "The ridge must be a finite number ≥ 0 (e.g. 1e-6 absolute, or 1e-4 relative to the mean diagonal).");
        return v;
    }
}

/// <summary>Settings shared by the gradient-descent predictors (docs/MATH.md §4).</summary>
public sealed record DynamicsOptions
{
    /// <summary>The learning rate η (Neural Tangents' default 1). Time runs as τ = η·t/N with N the
    /// number of entries of Y_train, because the loss is L = 1/(2N)·Σ(f − y)².</summary>
    public double LearningRate { get; init; } = 1.0;

    /// <summary>The ridge added to the kernel that is inverted and exponentiated.</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>Accept a learning rate above the stability bound 2N/λ_max (the continuous-time
    /// formulas still hold; discrete gradient descent would diverge).</summary>
    public bool AllowUnstableLearningRate { get; init; }

    /// <summary>How K + λI is inverted at t = ∞.</summary>
    public Solver Solver { get; init; } = Solver.Auto;

    /// <summary>Eigenvalues at or below this count as zero (their directions do not move and are
    /// dropped, as in a pseudoinverse). Null: n·ε·λ_max (NumPy's <c>pinv</c> convention).</summary>
    public double? EigenvalueTolerance { get; init; }

    /// <summary>The linear-algebra provider; null uses <see cref="LinearAlgebra.Provider"/>.</summary>
    public ILinearAlgebraProvider? Provider { get; init; }

    /// <summary>How the ensemble mean at finite times is computed (<see cref="InfiniteEnsemble"/> only; the other
    /// predictors always use the eigendecomposition).</summary>
    public EnsembleMethod Method { get; init; } = EnsembleMethod.Auto;

    /// <summary><see cref="EnsembleMethod.Auto"/> uses Lanczos for a mean-only prediction when n is above this
    /// (default 5000: the eigendecomposition then costs about 9n³ ≈ 10¹² flops and 3 × 8n² bytes of workspace).</summary>
    public int LanczosAbove { get; init; } = 5000;

    /// <summary>The Lanczos stopping tolerance: a column stops when every time's approximation changed by at most
    /// this, relative to its size, between two checks (default 1e-10; see <see cref="KrylovSettings.Tolerance"/>).</summary>
    public double KrylovTolerance { get; init; } = 1e-10;

    /// <summary>The largest Krylov dimension per target column (default 200; memory 8·n·(dimension + 1) bytes per column).</summary>
    public int KrylovMaxDimension { get; init; } = 200;

    /// <summary>Where t = ∞ is a conjugate-gradient solve of (K + λI)·α = Y (<see cref="OperatorEnsemble"/>, a kernel known only through
    /// products): stop a target column at this relative residual ‖Y − (K + λI)α‖/‖Y‖ (default 1e-10).</summary>
    public double ConjugateGradientTolerance { get; init; } = 1e-10;

    /// <summary>Where t = ∞ is a conjugate-gradient solve (<see cref="OperatorEnsemble"/>): the most iterations (default 1000).</summary>
    public int ConjugateGradientMaxIterations { get; init; } = 1000;

    /// <summary>The defaults (η = 1, no ridge).</summary>
    public static DynamicsOptions Default { get; } = new();
}
