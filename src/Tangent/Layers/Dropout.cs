using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Inverted dropout in training mode (Neural Tangents <c>stax.Dropout(rate=1−p, mode='train')</c>, whose
/// <c>rate</c> is the keep probability): each unit is kept with probability 1−p and scaled by 1/(1−p),
/// h' = m∘h/(1−p), m ~ Bernoulli(1−p), a fresh mask for every sample and every forward pass.
/// Kernel rule (docs/LAYERS.md, "Dropout, layer_norm, sum pooling, product"): a sample meets its own mask,
/// E[m²]/(1−p)² = 1/(1−p), so the diagonal of K(X, X) and of Θ(X, X) and the variances are divided by 1−p;
/// two different samples have independent masks, E[m·m']/(1−p)² = 1, so their entries are unchanged.
/// "The same sample" means the same row index of one input set: the fused row engine knows it from the
/// symmetric case (X2 = X1, where both sides share the diagonal slots) and the row index; in K(X1, X2)
/// with a separate X2, and in <see cref="Apply"/> (one pair, whose indices are unknown), no entry is
/// diagonal, even for equal vectors. The output (a random mask times a signal) is not Gaussian: an
/// activation right after dropout is refused; put dropout after an activation and before a dense layer.
/// </summary>
public sealed class Dropout : Layer
{
    /// <summary>Creates a dropout layer.</summary>
    /// <param name="rate">p, the probability that a unit is dropped, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">p outside [0, 1).</exception>
    public Dropout(double rate)
    {
        if (!(rate >= 0 && rate < 1))
            throw new ArgumentOutOfRangeException(nameof(rate), $"dropout: rate (the drop probability p) must be in [0, 1), got {rate}; e.g. dropout(rate=0.1).");
        Rate = rate;
    }

    /// <summary>p, the drop probability (the keep probability is 1−p).</summary>
    public double Rate { get; }

    private double Gain => 1.0 / (1 - Rate);

    /// <summary>The rule for two different samples (independent masks): q12 and Θ unchanged, the
    /// variances divided by 1−p. <see cref="Architecture.ComputeKernels(Matrix, Matrix, KernelOutputs, Tangent.Engine.ComputeOptions)"/> also divides the diagonal of
    /// K(X, X) and Θ(X, X) by 1−p.</summary>
    public override KernelState Apply(KernelState state) =>
        state with { Cov1 = Gain * state.Cov1, Cov2 = Gain * state.Cov2, IsGaussian = false };

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass)
    {
        double g = Gain;
        foreach (ref double c in pass.Cov.AsSpan()) c *= g;
    }

    /// <inheritdoc />
    internal override void Row(RowPass pass)
    {
        // Symmetric case: X2 is X1 and both sides read the same diagonal slots; entry (I, I) is a sample with itself.
        if (!ReferenceEquals(pass.Slots1, pass.Slots2)) return;
        int j = pass.I - pass.J0;
        if (j < 0 || j >= pass.Len) return;
        double g = Gain;
        pass.Nngp[j] *= g;
        if (pass.WithNtk) pass.Ntk[j] *= g;
    }

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return new FiniteDropout(1 - Rate, inputWidth, new Random(rng.Next()));
    }

    /// <inheritdoc />
    public override string ToString() => $"dropout(rate={Rate.ToString("R", CultureInfo.InvariantCulture)})";

    private sealed class FiniteDropout(double keep, int width, Random rng) : FiniteLayer
    {
        private Matrix? _mask;

        public override int OutputWidth => width;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            var mask = new Matrix(h.Rows, h.Cols);
            var y = new Matrix(h.Rows, h.Cols);
            for (int k = 0; k < h.Data.Length; k++)
            {
                mask.Data[k] = rng.NextDouble() < keep ? 1 / keep : 0;
                y.Data[k] = mask.Data[k] * h.Data[k];
            }
            _mask = mask;
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var mask = _mask ?? throw new InvalidOperationException("Backward before Forward.");
            var d = new Matrix(delta.Rows, delta.Cols);
            for (int k = 0; k < d.Data.Length; k++) d.Data[k] = mask.Data[k] * delta.Data[k];
            return d;
        }
    }
}
