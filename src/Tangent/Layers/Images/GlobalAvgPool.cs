using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Global average pooling readout (Neural Tangents <c>stax.GlobalAvgPool</c>): h'[c] = (1/P)·Σ_p h[p, c].
/// Kernel: the mean over all pixel pairs, K = (1/P²)·Σ_{p, p'} K[p, p'] (Arora et al. 2019, CNTK-GAP);
/// needs the full P×P covariance.
/// </summary>
public sealed class GlobalAvgPool : ImageLayer
{
    /// <inheritdoc />
    public override bool IsReadout => true;
    /// <inheritdoc />
    public override bool NeedsFullCovariance => true;
    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) => new(1, 1, input.Channels);
    /// <inheritdoc />
    public override string ToString() => "global_avg_pool";

    /// <summary>dst[j] = scale·Σ over all pixel pairs (shared with <see cref="GlobalSumPool"/>, scale 1).</summary>
    internal static void SumPairs(double[] k, int pixels, double scale, int len, Span<double> dst)
    {
        dst.Clear();
        if (len == 1)
        {
            double sum = 0;   // the same products and sums as below, without a span per pair
            for (int u = 0; u < pixels * pixels; u++) sum += scale * k[u];
            dst[0] = sum;
            return;
        }
        for (int u = 0; u < pixels * pixels; u++) ImageMath.Axpy(scale, k.AsSpan(u * len, len), dst);
    }

    private protected override void Reduce(double[] k, int pixels, bool full, int len, Span<double> dst) =>
        SumPairs(k, pixels, 1.0 / ((double)pixels * pixels), len, dst);

    /// <inheritdoc />
    public override ImageKernelState Apply(ImageKernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return ApplyReadout(state, keepsGaussian: true);
    }

    internal override void SelfStep(ImageSelfPass pass) => SelfReadout(pass);
    internal override void TileStep(ImageTilePass pass) => TileReadout(pass);

    internal override (FiniteLayer Layer, ImageShape Output) InitializeImage(ImageShape input, int width, Random rng) =>
        (new FiniteGlobalAvgPool(input.Pixels, input.Channels), OutputShape(input));

    /// <summary>h'[c] = (1/P)·Σ_p h[p, c].</summary>
    internal sealed class FiniteGlobalAvgPool(int pixels, int c) : FiniteLayer
    {
        public override int OutputWidth => c;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            var y = new Matrix(h.Rows, c);
            for (int a = 0; a < h.Rows; a++)
                for (int p = 0; p < pixels; p++) for (int ch = 0; ch < c; ch++) y[a, ch] += h[a, p * c + ch] / pixels;
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var d = new Matrix(delta.Rows, pixels * c);
            for (int a = 0; a < delta.Rows; a++)
                for (int p = 0; p < pixels; p++) for (int ch = 0; ch < c; ch++) d[a, p * c + ch] = delta[a, ch] / pixels;
            return d;
        }
    }
}
