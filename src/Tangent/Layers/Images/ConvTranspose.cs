namespace Tangent.Layers;

/// <summary>
/// Transposed convolution (Neural Tangents <c>stax.ConvTranspose</c>, JAX's <c>lax.conv_transpose</c>;
/// 'ntk' parameterization): the input is dilated by the stride s (s − 1 zeros between pixels), padded, and
/// convolved with stride 1, z[o, c'] = σw/√(|F|·C)·Σ_{δ, c} W[δ, c, c']·h[i(o, δ), c] + σb·b[c'] with
/// i(o, δ) = (o + δ − pad)/s where that is a whole input coordinate (no term otherwise). The fan-in that
/// divides σw² is |F|·C, the full filter times the input channels, as Neural Tangents does, although an
/// output pixel meets only about |F|/s^dims input pixels. So the kernel rule is the conv rule on that
/// index table (<see cref="WindowGeometry.Transposed"/>): K'[o, o'] = σw²/|F|·Σ_δ K[i(o, δ), i(o', δ)] + σb²,
/// Θ' = K' + σw²/|F|·Σ_δ Θ[i(o, δ), i(o', δ)] (terms with a missing index count 0); the diagonal layout
/// suffices. Output size per axis: padding=valid (the default, as Neural Tangents) in·s + max(k − s, 0);
/// padding=same in·s; circular is not supported. docs/MATH.md, "Transposed convolution".
/// </summary>
public sealed class ConvTranspose : Conv
{
    /// <summary>Creates a transposed convolution.</summary>
    /// <param name="size">Filter size k (k×k for 2-D, 1×k for 1-D).</param>
    /// <param name="weightStd">σw ≥ 0.</param>
    /// <param name="biasStd">σb ≥ 0.</param>
    /// <param name="stride">Upsampling factor s ≥ 1 along each convolved axis.</param>
    /// <param name="padding">Same or valid (default valid, as Neural Tangents).</param>
    /// <param name="dimensions">2 for images, 1 for signals.</param>
    /// <param name="channels">Output channels of the finite twin; null = the network width.</param>
    /// <param name="frozen">True: fixed at its initialisation (not trained, no share of the NTK).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride, σ or dimension out of range.</exception>
    /// <exception cref="ArgumentException">padding=circular.</exception>
    public ConvTranspose(int size = 3, double weightStd = 1, double biasStd = 0, int stride = 1, Padding padding = Padding.Valid, int dimensions = 2, int? channels = null, bool frozen = false)
        : base("conv_transpose", size, weightStd, biasStd, stride, padding, dimensions, channels, frozen)
    {
        if (padding == Padding.Circular)
            throw new ArgumentException("conv_transpose: padding=circular is not supported; use padding=valid (the default) or padding=same.", nameof(padding));
    }

    /// <inheritdoc />
    internal override WindowGeometry Geometry(ImageShape input) => Dimensions == 2
        ? WindowGeometry.Transposed(input.Height, input.Width, Size, Size, Stride, Stride, Padding, ToString())
        : WindowGeometry.Transposed(input.Height, input.Width, 1, Size, 1, Stride, Padding, ToString());

    private protected override Padding DefaultPadding => Padding.Valid;

    private protected override Conv Copy(bool frozen) => new ConvTranspose(Size, WeightStd, BiasStd, Stride, Padding, Dimensions, Channels, frozen);
}
