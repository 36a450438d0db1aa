using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Sum pooling over k×k windows (Neural Tangents <c>stax.SumPool</c>; padded cells add 0):
/// h'[q] = Σ_{p∈window(q)} h[p], i.e. avg_pool times the window's cell count |F| (k² in 2-D, k in 1-D).
/// Kernel rule: both pixel indices are summed, K'[q, q'] = Σ_{p∈window(q), p'∈window(q')} K[p, p'] = |F|²·K'_avg
/// (and Θ likewise) (docs/LAYERS.md, "Dropout, layer_norm, sum pooling, product"). Needs the full covariance.
/// </summary>
public sealed class SumPool : WindowPool
{
    /// <summary>Creates a sum pooling layer.</summary>
    /// <param name="size">Window k (k×k, or 1×k when <paramref name="dimensions"/> = 1).</param>
    /// <param name="stride">Stride; null = the window size.</param>
    /// <param name="padding">Border handling (default valid, as Neural Tangents).</param>
    /// <param name="dimensions">1 or 2.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride below 1, or dimensions other than 1 and 2.</exception>
    public SumPool(int size = 2, int? stride = null, Padding padding = Padding.Valid, int dimensions = 2)
        : base("sum_pool", size, stride, padding, dimensions) { }

    /// <inheritdoc />
    public override bool Sums => true;

    /// <summary>The finite twin: the average pool of the same geometry times the window's cell count.</summary>
    internal override (FiniteLayer Layer, ImageShape Output) InitializeImage(ImageShape input, int width, Random rng) =>
        (new FiniteScaled(FiniteAverage(input), Geometry(input).WindowSize), OutputShape(input));

    /// <summary>A parameter-free finite layer times a constant (forward and backward).</summary>
    internal sealed class FiniteScaled(FiniteLayer inner, double scale) : FiniteLayer
    {
        public override int OutputWidth => inner.OutputWidth;
        public override IEnumerable<Matrix> Parameters => inner.Parameters;

        public override Matrix Forward(Matrix h)
        {
            var y = inner.Forward(h);
            for (int k = 0; k < y.Data.Length; k++) y.Data[k] *= scale;
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var d = new Matrix(delta.Rows, delta.Cols);
            for (int k = 0; k < d.Data.Length; k++) d.Data[k] = scale * delta.Data[k];
            return inner.Backward(d, into);
        }
    }
}

/// <summary>
/// Global sum pooling readout (Neural Tangents <c>stax.GlobalSumPool</c>): h'[c] = Σ_p h[p, c], global_avg_pool
/// times the pixel count P. Kernel: the sum over all pixel pairs, K = Σ_{p, p'} K[p, p'] = P²·K_gap; needs the
/// full P×P covariance.
/// </summary>
public sealed class GlobalSumPool : ImageLayer
{
    /// <inheritdoc />
    public override bool IsReadout => true;
    /// <inheritdoc />
    public override bool NeedsFullCovariance => true;
    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input) => new(1, 1, input.Channels);
    /// <inheritdoc />
    public override string ToString() => "global_sum_pool";

    private protected override void Reduce(double[] k, int pixels, bool full, int len, Span<double> dst) =>
        GlobalAvgPool.SumPairs(k, pixels, 1, len, dst);

    /// <inheritdoc />
    public override ImageKernelState Apply(ImageKernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return ApplyReadout(state, keepsGaussian: true);
    }

    internal override void SelfStep(ImageSelfPass pass) => SelfReadout(pass);
    internal override void TileStep(ImageTilePass pass) => TileReadout(pass);

    /// <summary>The finite twin: the global average pool times the pixel count.</summary>
    internal override (FiniteLayer Layer, ImageShape Output) InitializeImage(ImageShape input, int width, Random rng) =>
        (new SumPool.FiniteScaled(new GlobalAvgPool.FiniteGlobalAvgPool(input.Pixels, input.Channels), input.Pixels), OutputShape(input));
}
