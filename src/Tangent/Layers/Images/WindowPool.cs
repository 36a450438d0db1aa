using Tangent.Numerics;

namespace Tangent.Layers;

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

    internal override WindowGeometry? Window(ImageShape input) => Geometry(input);

    /// <summary>The divisor of the window's sum: |F| for the average, 1 for the sum.</summary>
    private double Scale(WindowGeometry g) => Sums ? 1 : 1.0 / g.WindowSize;

    /// <inheritdoc />
    public override ImageKernelState Apply(ImageKernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.IsFull) throw NeedsFull(state);
        var g = Geometry(state.Shape);
        double[] Pool(double[] k)
        {
            var o = new double[g.OutPixels * g.OutPixels];
            Map(g, state.Pixels, Scale(g), k, o, 1, new double[state.Pixels * g.OutPixels]);
            return o;
        }
        return new ImageKernelState(OutputShape(state.Shape), state.Layout, Pool(state.Nngp), Pool(state.Ntk), Pool(state.Cov1), Pool(state.Cov2), state.IsGaussian);
    }

    internal override void SelfStep(ImageSelfPass pass)
    {
        var g = pass.Window!;
        var o = new double[g.OutPixels * g.OutPixels];
        Map(g, pass.Pixels, Scale(g), pass.K, o, 1, new double[pass.Pixels * g.OutPixels]);
        pass.K = o;
    }

    internal override void TileStep(ImageTilePass pass)
    {
        var g = pass.Window!;
        int pin = pass.Pixels, len = pass.Len;
        var tmp = pass.Temp(pin * g.OutPixels * len);
        Map(g, pin, Scale(g), pass.A, pass.A2, len, tmp);
        if (pass.WithNtk) Map(g, pin, Scale(g), pass.B, pass.B2, len, tmp);
        pass.Swap();
    }

    /// <summary>
    /// The pooling rule, the only copy, separably: T[p, v] = c·Σ_r K[p, idx(v, r)], then
    /// K'[u, v] = c·Σ_t T[idx(u, t), v] (c = <paramref name="scale"/>), on segments ([pair·len + j]).
    /// </summary>
    private static void Map(WindowGeometry g, int pin, double scale, double[] src, double[] dst, int len, double[] tmp)
    {
        int po = g.OutPixels, f = g.WindowSize;
        tmp.AsSpan(0, pin * po * len).Clear();
        for (int p = 0; p < pin; p++)
            for (int v = 0; v < po; v++)
            {
                var d = tmp.AsSpan((p * po + v) * len, len);
                for (int r = 0; r < f; r++) { int iq = g.Index[v * f + r]; if (iq >= 0) ImageMath.Axpy(scale, src.AsSpan((p * pin + iq) * len, len), d); }
            }
        for (int u = 0; u < po; u++)
            for (int v = 0; v < po; v++)
            {
                var d = dst.AsSpan((u * po + v) * len, len);
                d.Clear();
                for (int t = 0; t < f; t++) { int ip = g.Index[u * f + t]; if (ip >= 0) ImageMath.Axpy(scale, tmp.AsSpan((ip * po + v) * len, len), d); }
            }
    }

    /// <summary>The finite average pool of this window on <paramref name="input"/> (the sum pool scales it).</summary>
    private protected FiniteAvgPool FiniteAverage(ImageShape input) => new(Geometry(input), input.Channels);

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

    /// <summary>h'[q, c] = (1/|F|)·Σ_{p∈window(q)} h[p, c] (padded cells count as zeros).</summary>
    internal sealed class FiniteAvgPool(WindowGeometry g, int c) : FiniteLayer
    {
        public override int OutputWidth => g.OutPixels * c;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            var p = WindowGeometry.Patches(h, g, c);
            int n = h.Rows, po = g.OutPixels, f = g.WindowSize;
            var y = new Matrix(n, po * c);
            for (int r = 0; r < n * po; r++)
            {
                var src = p.Row(r);
                var dst = y.Data.AsSpan(r * c, c);
                for (int k = 0; k < f; k++) for (int ch = 0; ch < c; ch++) dst[ch] += src[k * c + ch] / f;
            }
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            int n = delta.Rows, po = g.OutPixels, f = g.WindowSize;
            var dp = new Matrix(n * po, f * c);
            for (int r = 0; r < n * po; r++)
                for (int k = 0; k < f; k++) for (int ch = 0; ch < c; ch++) dp[r, k * c + ch] = delta.Data[r * c + ch] / f;
            return WindowGeometry.Scatter(dp, g, c, n);
        }
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

    internal override (FiniteLayer Layer, ImageShape Output) InitializeImage(ImageShape input, int width, Random rng) =>
        (FiniteAverage(input), OutputShape(input));
}
