using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Kernels;

/// <summary>
/// A positive-semidefinite kernel k(x, x') evaluated on sets of inputs (rows of a matrix).
/// Classical kernels and the infinite-width NNGP/NTK kernels both implement it, so every solver
/// and model works with either.
/// </summary>
public interface IKernel
{
    /// <summary>
    /// The kernel matrix K(X1, X2) (n1×n2). When <paramref name="x2"/> is null it is K(X1, X1), which
    /// is symmetric and computed by halves.
    /// </summary>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for X1.</param>
    /// <param name="progress">Optional progress sink (kernel entries done).</param>
    /// <param name="cancellationToken">Cancels between tiles.</param>
    /// <exception cref="ArgumentException">The inputs have different numbers of columns.</exception>
    Matrix Compute(Matrix x1, Matrix? x2 = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The kernel matrix K(X1, X2), as the other overload describes, with every setting from
    /// <paramref name="options"/> (provider, tile size, memory budget, threads, progress, cancellation).
    /// The default implementation passes only the progress sink and the token; the library's kernels honour every field.
    /// </summary>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for X1.</param>
    /// <param name="options">How to compute; <see cref="ComputeOptions.Default"/> for the process defaults.</param>
    /// <exception cref="ArgumentException">The inputs have different numbers of columns.</exception>
    Matrix Compute(Matrix x1, Matrix? x2, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Compute(x1, x2, options.Progress, options.CancellationToken);
    }

    /// <summary>The diagonal k(x, x) for each row of <paramref name="x"/>.</summary>
    double[] Diagonal(Matrix x);

    /// <summary>A short description, e.g. <c>gaussian(gamma=0.5)</c>.</summary>
    string Describe();
}
