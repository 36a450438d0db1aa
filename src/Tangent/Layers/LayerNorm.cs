using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Layer normalization over the features of a vector, without a learned scale or shift (Neural Tangents
/// <c>stax.LayerNorm(axis=-1)</c>): h' = (h − mean(h))/√(var(h) + ε), ε = 1e-12. On a zero-mean Gaussian
/// pre-activation of infinite width the mean vanishes and the variance concentrates at q(x), so the layer
/// divides by the per-input RMS, a deterministic scale: nngp' = q12/√(q11·q22), Θ' = Θ/√(q11·q22),
/// cov' = 1 (docs/LAYERS.md, "Dropout, layer_norm, sum pooling, product"); an input of variance 0 gives 0,
/// as the finite layer does. The output is again a Gaussian pre-activation (of variance 1). The rule ignores
/// the mean the layer subtracts, so it holds for zero-mean Gaussian inputs only: <see cref="Architecture"/>
/// refuses layer_norm after an activation or on the raw input (insert a dense layer before it).
/// </summary>
public sealed class LayerNorm : Layer
{
    /// <summary>The ε of the finite layer's √(var + ε).</summary>
    public const double Epsilon = 1e-12;

    /// <summary>1/√q, and 0 for q ≤ 0 (a signal that is identically 0 stays 0).</summary>
    private static double InverseRms(double q) => q > 0 ? 1 / Math.Sqrt(q) : 0;

    /// <inheritdoc />
    /// <exception cref="NonGaussianInputException">The state is not a Gaussian pre-activation.</exception>
    public override KernelState Apply(KernelState state)
    {
        if (!state.IsGaussian)
            throw new NonGaussianInputException(
                "'layer_norm' was given a kernel state that is not a Gaussian pre-activation; its rule (divide by the per-input RMS) ignores the mean " +
                "the layer subtracts and holds for zero-mean Gaussian inputs only: insert a dense layer (e.g. dense(w=1)) before 'layer_norm'.");
        double r1 = InverseRms(state.Cov1), r2 = InverseRms(state.Cov2);
        return state with { Nngp = state.Nngp * r1 * r2, Ntk = state.Ntk * r1 * r2, Cov1 = state.Cov1 > 0 ? 1 : 0, Cov2 = state.Cov2 > 0 ? 1 : 0 };
    }

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass)
    {
        pass.Record();
        foreach (ref double c in pass.Cov.AsSpan()) c = c > 0 ? 1 : 0;
    }

    /// <inheritdoc />
    internal override void Row(RowPass pass)
    {
        double[] q1 = pass.Slots1[pass.Slot].Cov, q2 = pass.Slots2[pass.Slot].Cov;
        pass.Slot++;
        double r1 = InverseRms(q1[pass.I]);
        Span<double> nngp = pass.NngpRow, ntk = pass.NtkRow;
        for (int j = 0; j < nngp.Length; j++)
        {
            double r = r1 * InverseRms(q2[pass.J0 + j]);
            nngp[j] *= r;
            if (pass.WithNtk) ntk[j] *= r;
        }
    }

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng) => new FiniteLayerNorm(inputWidth);

    /// <inheritdoc />
    public override string ToString() => "layer_norm";

    private sealed class FiniteLayerNorm(int width) : FiniteLayer
    {
        private Matrix? _y;
        private double[] _invStd = [];

        public override int OutputWidth => width;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            int n = h.Rows, d = h.Cols;
            var y = new Matrix(n, d);
            _invStd = new double[n];
            for (int i = 0; i < n; i++)
            {
                var row = h.Row(i);
                double mean = 0;
                foreach (double v in row) mean += v;
                mean /= d;
                double var = 0;
                foreach (double v in row) var += (v - mean) * (v - mean);
                var /= d;
                double inv = _invStd[i] = 1 / Math.Sqrt(var + Epsilon);
                var dst = y.Row(i);
                for (int k = 0; k < d; k++) dst[k] = (row[k] - mean) * inv;
            }
            _y = y;
            return y;
        }

        /// <summary>∂h = (1/σ)·(δ − mean(δ) − y·mean(δ∘y)) per sample, y the normalized output.</summary>
        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var y = _y ?? throw new InvalidOperationException("Backward before Forward.");
            int n = delta.Rows, d = delta.Cols;
            var dIn = new Matrix(n, d);
            for (int i = 0; i < n; i++)
            {
                var dr = delta.Row(i); var yr = y.Row(i); var o = dIn.Row(i);
                double md = 0, mdy = 0;
                for (int k = 0; k < d; k++) { md += dr[k]; mdy += dr[k] * yr[k]; }
                md /= d; mdy /= d;
                for (int k = 0; k < d; k++) o[k] = _invStd[i] * (dr[k] - md - yr[k] * mdy);
            }
            return dIn;
        }
    }
}
