using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// The largest stable learning rate of gradient descent on L = 1/(2N)·Σ(f − y)² in the kernel regime:
/// the step is f ← f − (η/N)·Θ·(f − y), which converges iff 0 &lt; η &lt; 2N/λ_max(Θ) (docs/MATH.md §4;
/// Neural Tangents' <c>predict.max_learning_rate</c> with momentum 0).
/// </summary>
public static class LearningRateBound
{
    /// <summary>2N/λ_max(Θ + λI).</summary>
    /// <param name="ntkTrainTrain">The n×n train-train NTK (or NNGP for last-layer training).</param>
    /// <param name="targetEntries">N, the number of entries of Y_train (n·k).</param>
    /// <param name="ridge">A ridge added to the kernel (none by default).</param>
    /// <param name="provider">The linear-algebra provider (null: the default).</param>
    /// <exception cref="ArgumentException">The kernel is not square, symmetric and finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetEntries"/> is not positive.</exception>
    public static double Maximum(Matrix ntkTrainTrain, int targetEntries, Ridge ridge = default, ILinearAlgebraProvider? provider = null)
    {
        Shapes.RequireKernel(ntkTrainTrain, nameof(ntkTrainTrain));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetEntries);
        var a = ntkTrainTrain.Clone();
        double lambda = ridge.ValueFor(a);
        a.AddToDiagonal(lambda);
        var eigen = SymmetricEigen.Compute(a, provider);
        return FromLargestEigenvalue(eigen.Order == 0 ? 0 : eigen.Values[^1], targetEntries);
    }

    /// <summary>2N/λ_max; +∞ when λ_max ≤ 0 (nothing moves, any rate is stable).</summary>
    public static double FromLargestEigenvalue(double largestEigenvalue, int targetEntries)
        => largestEigenvalue > 0 ? 2.0 * targetEntries / largestEigenvalue : double.PositiveInfinity;
}
