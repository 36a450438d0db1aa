using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// The Gaussian distribution of the test outputs of an infinite ensemble at one training time (or
/// the GP posterior, which is the last-layer ensemble at t = ∞). Every output column has the same
/// covariance over test inputs, so the covariance is n*×n* (Neural Tangents' <c>trace_axes=(-1,)</c>).
/// </summary>
/// <param name="Time">The training time t (in steps of gradient descent; +∞ at convergence).</param>
/// <param name="Mean">The n*×k mean of the test outputs.</param>
/// <param name="Covariance">The n*×n* covariance over test inputs (<see cref="CovarianceMode.Full"/>), else null.</param>
/// <param name="Variance">Its diagonal, length n* (<see cref="CovarianceMode.Diagonal"/> or Full), else null.</param>
/// <remarks>The matrices belong to the caller: nothing else holds them.</remarks>
public sealed record EnsemblePrediction(double Time, Matrix Mean, Matrix? Covariance, double[]? Variance)
{
    /// <summary>How the Lanczos mean converged at this time (<see cref="EnsembleMethod.Lanczos"/>); null for the eigendecomposition and t = ∞.</summary>
    public KrylovReport? Krylov { get; init; }
}

/// <summary>The Krylov approximation behind one time's mean (docs/SOLVERS.md).</summary>
/// <param name="Dimension">The Krylov dimension at which this time's approximation met the tolerance (the largest over the target columns).</param>
/// <param name="Estimate">The a-posteriori relative error estimate (the last relative change between two checks).</param>
/// <param name="Converged">False when the dimension limit was reached before the tolerance.</param>
public sealed record KrylovReport(int Dimension, double Estimate, bool Converged);

/// <summary>
/// The kernels between test inputs X* and training inputs X that a prediction needs. Which ones
/// are needed depends on the ensemble and the covariance mode; a missing one is reported by name.
/// </summary>
public sealed record TestKernels
{
    /// <summary>Θ(X*, X), n*×n: the test-train NTK (NTK ensemble; NTK-GP).</summary>
    public Matrix? NtkTestTrain { get; init; }

    /// <summary>K(X*, X), n*×n: the test-train NNGP (NNGP ensemble; NTK-ensemble covariance).</summary>
    public Matrix? NngpTestTrain { get; init; }

    /// <summary>K(X*, X*), n*×n*: the full test-test NNGP (needed for <see cref="CovarianceMode.Full"/>).</summary>
    public Matrix? NngpTestTest { get; init; }

    /// <summary>diag K(X*, X*), length n*: enough for <see cref="CovarianceMode.Diagonal"/>.</summary>
    public double[]? NngpTestTestDiagonal { get; init; }

    /// <summary>n*, read from the first kernel given (0 when none is).</summary>
    public int TestCount => NtkTestTrain?.Rows ?? NngpTestTrain?.Rows ?? NngpTestTest?.Rows ?? NngpTestTestDiagonal?.Length ?? 0;

    /// <summary>The prior covariance K** as a full matrix, or its diagonal; validated against n*.</summary>
    internal (Matrix? Full, double[]? Diagonal) Prior(CovarianceMode mode, int testCount, string kernelName = "NNGP")
    {
        if (mode == CovarianceMode.None) return (null, null);
        if (mode == CovarianceMode.Full)
        {
            if (NngpTestTest is null)
                throw new ArgumentException($"The full covariance needs the full test-test {kernelName} K(X*, X*) ({testCount}×{testCount}); set NngpTestTest, or ask for CovarianceMode.Diagonal.", nameof(NngpTestTest));
            Shapes.Require(NngpTestTest, testCount, testCount, nameof(NngpTestTest), $"test-test {kernelName}");
            return (NngpTestTest, NngpTestTest.Diagonal());
        }
        if (NngpTestTestDiagonal is { } d)
        {
            if (d.Length != testCount)
                throw new ArgumentException($"The test-test {kernelName} diagonal must have {testCount} entries (one per test input), got {d.Length}.", nameof(NngpTestTestDiagonal));
            foreach (double v in d)
                if (!double.IsFinite(v)) throw new ArgumentException($"The test-test {kernelName} diagonal has a non-finite value ({v}).", nameof(NngpTestTestDiagonal));
            return (null, d);
        }
        if (NngpTestTest is not null)
        {
            Shapes.Require(NngpTestTest, testCount, testCount, nameof(NngpTestTest), $"test-test {kernelName}");
            return (null, NngpTestTest.Diagonal());
        }
        throw new ArgumentException($"The covariance needs the test-test {kernelName}: set NngpTestTestDiagonal (length {testCount}) or NngpTestTest ({testCount}×{testCount}), or ask for CovarianceMode.None.", nameof(NngpTestTestDiagonal));
    }
}
