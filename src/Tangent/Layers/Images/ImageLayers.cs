
namespace Tangent.Layers;

/// <summary>
/// A layer that acts on images (H×W×C) rather than on vectors. Its kernel rule acts on the pixel-pair
/// covariances of <see cref="ConvolutionalKernel"/>, so the vector-state entry points of
/// <see cref="Layer"/> throw and point there; <see cref="Architecture.ComputeKernels(Tangent.Numerics.Matrix, Tangent.Numerics.Matrix, KernelOutputs, Tangent.Engine.ComputeOptions)"/> hands
/// architectures containing image layers to <see cref="ConvolutionalKernel"/> when the architecture has an
/// <see cref="Architecture.InputShape"/>.
/// </summary>
public abstract class ImageLayer : Layer
{
    /// <summary>Not defined on a single vector pair: image layers need pixel covariances.</summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    public override KernelState Apply(KernelState state) => throw NeedsImages();

    /// <summary>Not defined without the image shape; use the image network of FiniteImageNetwork.</summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng) => throw NeedsImages();

    internal override void Diagonal(DiagonalPass pass) => throw NeedsImages();

    internal override void Row(RowPass pass) => throw NeedsImages();

    /// <summary>The output shape for an input shape.</summary>
    /// <exception cref="ArgumentException">The input is too small for the window.</exception>
    public abstract ImageShape OutputShape(ImageShape input);

    /// <summary>True for the readouts that end the image part of a network (flatten, global_avg_pool).</summary>
    public virtual bool IsReadout => false;

    /// <summary>True when the kernel rule needs the full P×P pixel-pair covariance (pooling layers).</summary>
    public virtual bool NeedsFullCovariance => false;

    private InvalidOperationException NeedsImages() => new(
        $"'{this}' acts on images: give the architecture the image shape (Architecture.WithInputShape(new ImageShape(H, W, C))), " +
        "then compute kernels with Architecture.ComputeKernels or ConvolutionalKernel.");
}

/// <summary>
/// Convolution (Neural Tangents <c>stax.Conv</c>, 'ntk' parameterization): z[p, c'] =
/// σw/√(|F|·C)·Σ_{δ∈F, c} W[δ, c, c']·h[p·s + δ, c] + σb·b[c'], W, b ~ N(0, 1). Kernel rule on the
/// pixel-pair covariance (Arora et al. 2019, eq. 7; Novak et al. 2019): K'[p, p'] =
/// σw²·(1/|F|)·Σ_δ K[p + δ, p' + δ] + σb² (zero-padded terms count as 0), Θ'[p, p'] = K'[p, p'] +
/// σw²·(1/|F|)·Σ_δ Θ[p + δ, p' + δ].
/// </summary>
public sealed class Conv : ImageLayer
{
    /// <summary>Creates a convolution.</summary>
    /// <param name="size">Filter size k (k×k for 2-D, 1×k for 1-D).</param>
    /// <param name="weightStd">σw ≥ 0.</param>
    /// <param name="biasStd">σb ≥ 0.</param>
    /// <param name="stride">Stride ≥ 1 along each convolved axis.</param>
    /// <param name="padding">Border handling.</param>
    /// <param name="dimensions">2 for images, 1 for signals (1×L×C: the filter runs along the width).</param>
    /// <param name="channels">Output channels of the finite twin; null = the network width.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride, σ or dimension out of range.</exception>
    public Conv(int size = 3, double weightStd = 1, double biasStd = 0, int stride = 1, Padding padding = Padding.Same, int dimensions = 2, int? channels = null)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"conv: size must be ≥ 1, got {size}.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"conv: stride must be ≥ 1, got {stride}.");
        if (dimensions is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(dimensions), $"conv: dims must be 1 or 2, got {dimensions}.");
        if (!(weightStd >= 0) || !double.IsFinite(weightStd)) throw new ArgumentOutOfRangeException(nameof(weightStd), $"conv: w (σw) must be a finite number ≥ 0, got {weightStd}.");
        if (!(biasStd >= 0) || !double.IsFinite(biasStd)) throw new ArgumentOutOfRangeException(nameof(biasStd), $"conv: b (σb) must be a finite number ≥ 0, got {biasStd}.");
        if (channels is < 1) throw new ArgumentOutOfRangeException(nameof(channels), $"conv: channels must be ≥ 1, got {channels}.");
        Size = size; WeightStd = weightStd; BiasStd = biasStd; Stride = stride; Padding = padding; Dimensions = dimensions; Channels = channels;
    }

    /// <summary>Filter size k.</summary>
    public int Size { get; }
    /// <summary>σw.</summary>
    public double WeightStd { get; }
    /// <summary>σb.</summary>
    public double BiasStd { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Padding.</summary>
    public Padding Padding { get; }
    /// <summary>1 or 2.</summary>
    public int Dimensions { get; }
    /// <summary>Output channels of the finite twin (null: the network width).</summary>
    public int? Channels { get; }

    internal override bool EndsWithDense => true;

    internal WindowGeometry Geometry(ImageShape input) => Dimensions == 2
        ? new WindowGeometry(input.Height, input.Width, Size, Size, Stride, Stride, Padding, ToString())
        : new WindowGeometry(input.Height, input.Width, 1, Size, 1, Stride, Padding, ToString());

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input)
    {
        var g = Geometry(input);
        return new ImageShape(g.OutHeight, g.OutWidth, Channels ?? input.Channels);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var args = new List<string> { $"size={Size}", $"w={Dense.Fmt(WeightStd)}" };
        if (BiasStd != 0) args.Add($"b={Dense.Fmt(BiasStd)}");
        if (Stride != 1) args.Add($"stride={Stride}");
        if (Padding != Padding.Same) args.Add($"padding={Padding.ToString().ToLowerInvariant()}");
        if (Dimensions != 2) args.Add($"dims={Dimensions}");
        if (Channels is int c) args.Add($"channels={c}");
        return $"conv({string.Join(",", args)})";
    }
}

/// <summary>
/// Pooling over k×k windows (1×k for sequences): the geometry, parameters and spec text shared by
/// <see cref="AvgPool"/> and <see cref="SumPool"/>, which differ only in whether the window's sum is
/// divided by its cell count. Kernel rule: both pixel indices are pooled,
/// K'[q, q'] = c²·Σ_{p∈window(q), p'∈window(q')} K[p, p'] (and Θ likewise) with c = 1/|F| for the average
/// and 1 for the sum. Needs the full covariance.
/// </summary>
public abstract class WindowPool : ImageLayer
{
    private readonly string _name;

    /// <summary>Checks and stores the window.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride below 1, or dimensions other than 1 and 2.</exception>
    private protected WindowPool(string name, int size, int? stride, Padding padding, int dimensions)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"{name}: size must be ≥ 1, got {size}.");
        if (stride is < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"{name}: stride must be ≥ 1, got {stride}.");
        if (dimensions is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(dimensions), $"{name}: dims must be 1 or 2, got {dimensions}.");
        _name = name;
        Size = size; Stride = stride ?? size; Padding = padding; Dimensions = dimensions;
    }

    /// <summary>Window size.</summary>
    public int Size { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Padding.</summary>
    public Padding Padding { get; }
    /// <summary>1 or 2.</summary>
    public int Dimensions { get; }

    /// <summary>True when the window's sum is kept as it is (<see cref="SumPool"/>); false when it is divided by the cell count (<see cref="AvgPool"/>).</summary>
    public abstract bool Sums { get; }

    /// <inheritdoc />
    public override bool NeedsFullCovariance => true;

    internal WindowGeometry Geometry(ImageShape input) => Dimensions == 2
        ? new WindowGeometry(input.Height, input.Width, Size, Size, Stride, Stride, Padding, ToString())
        : new WindowGeometry(input.Height, input.Width, 1, Size, 1, Stride, Padding, ToString());

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input)
    {
        var g = Geometry(input);
        return new ImageShape(g.OutHeight, g.OutWidth, input.Channels);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var args = new List<string> { $"size={Size}" };
        if (Stride != Size) args.Add($"stride={Stride}");
        if (Padding != Padding.Valid) args.Add($"padding={Padding.ToString().ToLowerInvariant()}");
        if (Dimensions != 2) args.Add($"dims={Dimensions}");
        return $"{_name}({string.Join(",", args)})";
    }
}

/// <summary>
/// Average pooling over k×k windows (Neural Tangents <c>stax.AvgPool</c>; padded cells count in the
/// divisor): h'[q] = (1/k²)·Σ_{p∈window(q)} h[p]. Kernel rule: both pixel indices are pooled,
/// K'[q, q'] = (1/k⁴)·Σ_{p∈window(q), p'∈window(q')} K[p, p'] (and Θ likewise). Needs the full covariance.
/// </summary>
public sealed class AvgPool : WindowPool
{
    /// <summary>Creates an average pooling layer.</summary>
    /// <param name="size">Window k (k×k, or 1×k when <paramref name="dimensions"/> = 1).</param>
    /// <param name="stride">Stride; null = the window size.</param>
    /// <param name="padding">Border handling (default valid, as Neural Tangents).</param>
    /// <param name="dimensions">1 or 2.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride below 1, or dimensions other than 1 and 2.</exception>
    public AvgPool(int size = 2, int? stride = null, Padding padding = Padding.Valid, int dimensions = 2)
        : base("avg_pool", size, stride, padding, dimensions) { }

    /// <inheritdoc />
    public override bool Sums => false;
}

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
}

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
}
