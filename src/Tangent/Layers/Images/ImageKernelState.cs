namespace Tangent.Layers;

/// <summary>
/// The infinite-width kernel state of ONE pair of images (x1, x2) between two layers, the image twin of
/// <see cref="KernelState"/> (docs/CONVOLUTION.md): the pixel-pair covariances of the pre-activations,
/// stored in <see cref="Layout"/> (the pixel diagonal, P values, or the full P×P matrix, P² values,
/// row-major [p·P + p']). Image layers map a state to the next (<see cref="ImageLayer.Apply(ImageKernelState)"/>);
/// this is the plain reference that <see cref="ConvolutionalKernel"/>'s fused passes are tested against.
/// </summary>
/// <param name="Shape">The image shape H×W×C of the signal (the channels are the input's, or the count a conv fixes).</param>
/// <param name="Layout">Diagonal (P values per array) or Full (P² values per array).</param>
/// <param name="Nngp">K(x1, x2)[p, p'], the NNGP covariance between pixels of the two images.</param>
/// <param name="Ntk">Θ(x1, x2)[p, p'].</param>
/// <param name="Cov1">K(x1, x1)[p, p'] in the same layout (the pixel variances of x1 when diagonal).</param>
/// <param name="Cov2">K(x2, x2)[p, p'] in the same layout.</param>
/// <param name="IsGaussian">True when the signal is a zero-mean Gaussian pre-activation (after conv); false
/// for the raw images and an activation's output (docs/LAYERS.md, "Gaussian pre-activations").</param>
public sealed record ImageKernelState(ImageShape Shape, CovarianceLayout Layout, double[] Nngp, double[] Ntk, double[] Cov1, double[] Cov2, bool IsGaussian)
{
    /// <summary>Pixels P = H·W.</summary>
    public int Pixels => Shape.Pixels;

    /// <summary>True for the full P×P layout.</summary>
    public bool IsFull => Layout == CovarianceLayout.Full;

    /// <summary>Values per array: P (diagonal) or P² (full).</summary>
    public int Pairs => IsFull ? Pixels * Pixels : Pixels;

    /// <summary>
    /// The input state of a pair of images given as H·W·C pixels in H, W, C order:
    /// K[p, p'] = Σ_c x1[p, c]·x2[p', c]/C, Θ = 0 (docs/MATH.md §2, last item); not Gaussian.
    /// </summary>
    /// <exception cref="ArgumentException">An image does not have H·W·C values.</exception>
    public static ImageKernelState FromImages(ReadOnlySpan<double> x1, ReadOnlySpan<double> x2, ImageShape shape, CovarianceLayout layout)
    {
        shape.Validate();
        if (x1.Length != shape.Features || x2.Length != shape.Features)
            throw new ArgumentException($"Images of {shape} have {shape.Features} values (H·W·C); got {x1.Length} and {x2.Length}.");
        bool full = layout == CovarianceLayout.Full;
        return new ImageKernelState(shape, layout, InputCovariance(x1, x2, shape, full), new double[full ? shape.Pixels * shape.Pixels : shape.Pixels],
            InputCovariance(x1, x1, shape, full), InputCovariance(x2, x2, shape, full), IsGaussian: false);
    }

    /// <summary>K[p, p'] = Σ_c a[p, c]·b[p', c]/C in the layout.</summary>
    internal static double[] InputCovariance(ReadOnlySpan<double> a, ReadOnlySpan<double> b, ImageShape shape, bool full)
    {
        int P = shape.Pixels, C = shape.Channels;
        var k = new double[full ? P * P : P];
        for (int p = 0; p < P; p++)
            for (int q = full ? 0 : p; q < (full ? P : p + 1); q++)
            {
                double s = 0;
                for (int c = 0; c < C; c++) s += a[p * C + c] * b[q * C + c];
                k[full ? p * P + q : p] = s / C;
            }
        return k;
    }

    /// <summary>A vector state seen as a one-pixel image 1×1×d (d = the state's width, 1 when unknown).</summary>
    public static ImageKernelState FromVector(KernelState s) =>
        new(new ImageShape(1, 1, s.Width ?? 1), CovarianceLayout.Diagonal, [s.Nngp], [s.Ntk], [s.Cov1], [s.Cov2], s.IsGaussian);

    /// <summary>The vector state of a one-pixel image (after a readout, or the 1-pixel view of a vector).</summary>
    /// <exception cref="InvalidOperationException">The image has more than one pixel.</exception>
    public KernelState ToVector(int? width)
    {
        if (Pixels != 1)
            throw new InvalidOperationException($"An image state of {Shape} has {Pixels} pixels; only a one-pixel image (after flatten or a global pool) is a vector state.");
        return new KernelState(Nngp[0], Ntk[0], Cov1[0], Cov2[0], width, IsGaussian);
    }
}
