using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Flatten readout (Neural Tangents <c>stax.Flatten</c>): the H·W·C features in one vector. Followed by a
/// dense layer with fan-in P·C, its kernel is the mean of the pixel diagonal, K = (1/P)·Σ_p K[p, p]
/// (Arora et al. 2019, the "vanilla" CNTK), so the diagonal layout suffices.
/// </summary>
public sealed class Flatten : ImageLayer
{
    /// <inheritdoc />
    public override bool IsReadout => true;
    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) => new(1, 1, input.Features);
    /// <inheritdoc />
    public override string ToString() => "flatten";

    private protected override void Reduce(double[] k, int pixels, bool full, int len, Span<double> dst)
    {
        dst.Clear();
        double scale = 1.0 / pixels;
        if (len == 1)
        {
            double sum = 0;   // the same products and sums as below, without a span per pixel
            for (int p = 0; p < pixels; p++) sum += scale * k[full ? p * pixels + p : p];
            dst[0] = sum;
            return;
        }
        for (int p = 0; p < pixels; p++) ImageMath.Axpy(scale, k.AsSpan((full ? p * pixels + p : p) * len, len), dst);
    }

    /// <inheritdoc />
    public override ImageKernelState Apply(ImageKernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return ApplyReadout(state, keepsGaussian: state.Pixels == 1);   // pixels of different variances side by side: not one Gaussian
    }

    internal override void SelfStep(ImageSelfPass pass) => SelfReadout(pass);
    internal override void TileStep(ImageTilePass pass) => TileReadout(pass);

    internal override (FiniteLayer Layer, ImageShape Output) InitializeImage(ImageShape input, int width, Random rng) =>
        (new FiniteFlatten(input.Features), OutputShape(input));

    /// <summary>Flatten: the H, W, C row is already the flat vector.</summary>
    internal sealed class FiniteFlatten(int width) : FiniteLayer
    {
        public override int OutputWidth => width;
        public override IEnumerable<Matrix> Parameters => [];
        public override Matrix Forward(Matrix h) => h;
        public override Matrix Backward(Matrix delta, Backprop into) => delta;
    }
}
