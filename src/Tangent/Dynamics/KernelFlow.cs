using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// The linear flow df/dτ = −A·(f − y) of gradient descent on the MSE loss in function space, for
/// one regularized train-train kernel A = K + λI (K = Θ for the NTK ensemble, the NNGP for the
/// last-layer one). Holds the eigendecomposition (computed once, when a finite time is first
/// asked for) and the Cholesky factor (for t = ∞), so that many times cost only diagonal scalings.
/// </summary>
internal sealed class KernelFlow
{
    private readonly Lazy<SymmetricEigen> _eigen;
    private readonly Lazy<Cholesky?> _cholesky;
    private readonly DynamicsOptions _options;
    private readonly string _kernelName;

    public KernelFlow(Matrix kernel, int targetEntries, DynamicsOptions options, string kernelName)
    {
        Shapes.RequireKernel(kernel, kernelName);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _kernelName = kernelName;
        if (!(options.LearningRate > 0) || !double.IsFinite(options.LearningRate))
            throw new ArgumentOutOfRangeException(nameof(options), options.LearningRate,
                "The learning rate must be a finite number > 0 (Neural Tangents' default is 1).");
        if (options.EigenvalueTolerance is { } tol && !(tol >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), tol, "The eigenvalue tolerance must be ≥ 0 (or null for the default n·ε·λ_max).");
        Provider = options.Provider ?? LinearAlgebra.Provider;
        Order = kernel.Rows;
        TargetEntries = targetEntries;
        RidgeValue = options.Ridge.ValueFor(kernel);
        Regularized = kernel.Clone();
        Regularized.AddToDiagonal(RidgeValue);
        if (options.Method is not (EnsembleMethod.Auto or EnsembleMethod.Eigen or EnsembleMethod.Lanczos))
            throw new ArgumentOutOfRangeException(nameof(options), options.Method, "Unknown ensemble method; use Auto, Eigen or Lanczos.");
        if (options.LanczosAbove < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.LanczosAbove, "LanczosAbove must be ≥ 0 (the training-set size above which Auto uses Lanczos; default 5000).");
        new KrylovSettings { Tolerance = options.KrylovTolerance, MaxDimension = options.KrylovMaxDimension }.Check();
        _eigen = new Lazy<SymmetricEigen>(ComputeEigen);
        _cholesky = new Lazy<Cholesky?>(ComputeCholesky);
        _lanczosLargest = new Lazy<double>(() => KrylovFunction.EstimateLargestEigenvalue(Operator, Order, provider: Provider));
    }

    private readonly Lazy<double> _lanczosLargest;

    /// <summary>The settings this flow was built with.</summary>
    public DynamicsOptions Options => _options;

    /// <summary>When true (a Lanczos ensemble), λ_max and the default tolerance come from a Lanczos estimate
    /// until the eigendecomposition is computed for another reason, so the learning-rate check costs a few
    /// kernel products instead of an O(n³) eigendecomposition.</summary>
    public bool KrylovSpectrum { get; set; }

    /// <summary>V ↦ (K + λI)·V from the matrix in memory.</summary>
    public LinearOperator Operator => ConjugateGradient.FromMatrix(Regularized, Provider);

    private bool UseEstimate => KrylovSpectrum && !EigenComputed;

    public ILinearAlgebraProvider Provider { get; }

    /// <summary>n, the number of training inputs.</summary>
    public int Order { get; }

    /// <summary>N, the number of entries of Y_train (the loss normalisation).</summary>
    public int TargetEntries { get; }

    /// <summary>The absolute ridge λ added.</summary>
    public double RidgeValue { get; }

    /// <summary>K + λI.</summary>
    public Matrix Regularized { get; }

    public double LearningRate => _options.LearningRate;

    public bool EigenComputed => _eigen.IsValueCreated;

    /// <summary>The eigendecomposition of K + λI (computed on first use).</summary>
    public SymmetricEigen Eigen => _eigen.Value;

    public double Tolerance => _options.EigenvalueTolerance ?? (UseEstimate ? Order * 2.220446049250313e-16 * Math.Abs(LargestEigenvalue) : Eigen.DefaultTolerance);

    /// <summary>λ_max(K + λI): from the eigendecomposition, or the Lanczos estimate (<see cref="KrylovSpectrum"/>).</summary>
    public double LargestEigenvalue => UseEstimate ? _lanczosLargest.Value : Eigen.Order == 0 ? 0 : Eigen.Values[^1];

    /// <summary>2N/λ_max(K + λI): the largest learning rate for which discrete gradient descent on
    /// L = 1/(2N)·Σ(f − y)² converges (docs/MATH.md §4).</summary>
    public double MaxLearningRate => LearningRateBound.FromLargestEigenvalue(LargestEigenvalue, TargetEntries);

    /// <summary>True when t = ∞ uses the pseudoinverse (asked for, or Cholesky failed in Auto).</summary>
    public bool UsesPseudoInverseAtInfinity => _options.Solver == Solver.PseudoInverse || _cholesky.Value is null;

    /// <summary>τ = η·t/N.</summary>
    public double Tau(double t)
    {
        Shapes.RequireTime(t);
        if (double.IsPositiveInfinity(t)) return double.PositiveInfinity;
        RequireStableLearningRate();
        return LearningRate * t / TargetEntries;
    }

    /// <summary>Per eigenvalue: (1 − e^{−m·λ·τ})/λ, i.e. the eigenvalues of K⁻¹(I − e^{−m·K·τ});
    /// 1/λ at τ = ∞; 0 for directions at or below the tolerance (the kernel's null space).</summary>
    public double[] Growth(double tau, double multiplier = 1)
    {
        var values = Eigen.Values;
        double tol = Tolerance;
        var g = new double[values.Length];
        for (int a = 0; a < values.Length; a++)
        {
            double l = values[a];
            if (l <= tol) continue;
            g[a] = double.IsPositiveInfinity(tau) ? 1.0 / l : -ExpM1(-multiplier * l * tau) / l;
        }
        return g;
    }

    /// <summary>Per eigenvalue: e^{−λ·τ} (1 for directions at or below the tolerance).</summary>
    public double[] Decay(double tau)
    {
        var values = Eigen.Values;
        double tol = Tolerance;
        var e = new double[values.Length];
        for (int a = 0; a < values.Length; a++)
        {
            double l = values[a];
            e[a] = l <= tol ? 1.0 : double.IsPositiveInfinity(tau) ? 0.0 : Math.Exp(-l * tau);
        }
        return e;
    }

    /// <summary>(K + λI)⁻¹·B by Cholesky, or (K + λI)⁺·B (see <see cref="Solver"/>).</summary>
    public Matrix SolveAtInfinity(Matrix b)
    {
        if (!UsesPseudoInverseAtInfinity) return _cholesky.Value!.Solve(b);
        return Eigen.PseudoInverseApply(b, Tolerance);
    }

    /// <summary>True when t = ∞ may use the eigendecomposition already computed (g = 1/λ, 0 at or below the tolerance)
    /// instead of a Cholesky solve, with the same result up to rounding: for <see cref="Solver.PseudoInverse"/> it is that
    /// solver's own formula; for <see cref="Solver.Auto"/> only when every eigenvalue is above the tolerance (K + λI positive
    /// definite and not numerically singular, where Cholesky and the eigendecomposition give the same inverse); never for
    /// <see cref="Solver.Cholesky"/> (asked for by name). False while the eigendecomposition is not computed.</summary>
    public bool EigenAtInfinity => EigenComputed && (_options.Solver == Solver.PseudoInverse
        || (_options.Solver == Solver.Auto && (Order == 0 || Eigen.Values[0] > Tolerance)));

    /// <summary>The Cholesky factor of K + λI, or null when the pseudoinverse is used at t = ∞.</summary>
    public Cholesky? CholeskyFactor => UsesPseudoInverseAtInfinity ? null : _cholesky.Value;

    private volatile bool _learningRateChecked;

    /// <summary>Throws when the learning rate is above 2N/λ_max, unless that is allowed. Only finite
    /// times depend on the learning rate, so only they call this (it computes the eigendecomposition, or the
    /// Lanczos estimate of λ_max with <see cref="KrylovSpectrum"/>).</summary>
    public void RequireStableLearningRate()
    {
        if (_learningRateChecked) return;
        if (Order > 0 && !_options.AllowUnstableLearningRate)
        {
            double lmax = LargestEigenvalue;
            double bound = LearningRateBound.FromLargestEigenvalue(lmax, TargetEntries);
            if (LearningRate > bound) throw Unstable(LearningRate, lmax, TargetEntries, RidgeValue, _kernelName);
        }
        _learningRateChecked = true;
    }

    /// <summary>The exception for a learning rate above 2N/λ_max (shared with <see cref="OperatorEnsemble"/>).</summary>
    internal static UnstableLearningRateException Unstable(double learningRate, double lmax, int targetEntries, double ridge, string kernelName)
    {
        double bound = LearningRateBound.FromLargestEigenvalue(lmax, targetEntries);
        return new UnstableLearningRateException(learningRate, bound, "2N/λ_max",
            $"The learning rate {learningRate:G6} is above the stability bound 2N/λ_max = 2·{targetEntries}/{lmax:G6} = {bound:G6} " +
            $"of the {kernelName} (N = entries of Y_train, λ_max its largest eigenvalue{(ridge > 0 ? $" with the ridge {ridge:G3}" : "")}); " +
            $"gradient descent at this rate diverges. Use a learning rate below {bound:G6} (e.g. {0.5 * bound:G3}), " +
            "standardize the inputs if the bound is far below 1, or set AllowUnstableLearningRate to evaluate the continuous-time formulas anyway.");
    }

    private SymmetricEigen ComputeEigen() => SymmetricEigen.Compute(Regularized, Provider);

    private Cholesky? ComputeCholesky() => SolverChoice.Factor(Regularized, _options.Solver, Provider);

    /// <summary>e^x − 1 without cancellation for small |x| (Kahan's trick: (u − 1)·x/log u, u = e^x).</summary>
    internal static double ExpM1(double x)
    {
        if (Math.Abs(x) >= 0.5) return Math.Exp(x) - 1;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 * x / Math.Log(u);
    }
}
