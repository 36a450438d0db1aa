using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// A layer that acts on images (H×W×C) rather than on vectors (docs/CONVOLUTION.md, "The layer contract").
/// Its kernel rule maps an <see cref="ImageKernelState"/> (<see cref="Apply(ImageKernelState)"/>, the plain
/// reference) and, for <see cref="ConvolutionalKernel"/>, the per-image self pass and the per-row-segment
/// tile pass; its finite twin is drawn for an image shape. A vector of width d is an image of one pixel
/// (1×1×d), so the vector members of <see cref="Layer"/> apply the image rule to that one pixel: conv is
/// then a dense layer seen through its centre tap (σw²/|F| with zero padding), flatten and the global pools
/// are the identity; a layer that would turn one pixel into several (conv_transpose with stride &gt; 1) or
/// whose window does not fit (padding=valid, size &gt; 1) is refused with a message.
/// </summary>
public abstract class ImageLayer : Layer
{
    /// <summary>The kernel rule on one pair of images (plain, per pixel pair).</summary>
    /// <exception cref="ArgumentException">The state's image is too small for the window, or the layer needs the full layout and the state is diagonal.</exception>
    public abstract ImageKernelState Apply(ImageKernelState state);

    /// <summary>The output shape for an input shape.</summary>
    /// <exception cref="ArgumentException">The input is too small for the window.</exception>
    public abstract ImageShape OutputShape(ImageShape input);

    /// <summary>True for the readouts that end the image part of a network (flatten, global_avg_pool, global_sum_pool).</summary>
    public virtual bool IsReadout => false;

    /// <summary>True when the kernel rule needs the full P×P pixel-pair covariance (pooling layers).</summary>
    public virtual bool NeedsFullCovariance => false;

    internal sealed override bool ActsOnImages => true;
    internal sealed override bool IsImageReadout => IsReadout;
    internal sealed override bool NeedsFullImageCovariance => NeedsFullCovariance;
    internal sealed override ImageShape ImageOutputShape(ImageShape input) => OutputShape(input);
    internal sealed override ImageKernelState ApplyImage(ImageKernelState state) => Apply(state);

    // ---- the one-pixel view of a vector ----

    /// <summary>The rule on a vector state seen as a one-pixel image 1×1×d.</summary>
    /// <exception cref="InvalidOperationException">The layer does not map one pixel to one pixel.</exception>
    public override KernelState Apply(KernelState state)
    {
        var image = ImageKernelState.FromVector(state) with { Layout = CovarianceLayout.Full };
        OnePixel(image.Shape);
        return Apply(image).ToVector(OutputWidth(state.Width));
    }

    /// <summary>The finite twin on a vector seen as a one-pixel image 1×1×<paramref name="inputWidth"/>.</summary>
    /// <exception cref="InvalidOperationException">The layer does not map one pixel to one pixel.</exception>
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng)
    {
        var shape = new ImageShape(1, 1, inputWidth);
        OnePixel(shape);
        return InitializeImage(shape, width, rng).Layer;
    }

    /// <summary>The diagonal pass of the fused vector engine: the tile rule on one pixel, applied to the variances.</summary>
    internal override void Diagonal(DiagonalPass pass)
    {
        var shape = new ImageShape(1, 1, pass.Width ?? 1);
        var tile = OnePixelPass(shape, pass.Cov.Length, withNtk: false);
        pass.Cov.CopyTo(tile.A, 0);
        TileStep(tile);
        tile.A.AsSpan(0, pass.Cov.Length).CopyTo(pass.Cov);
        pass.Width = OutputWidth(pass.Width);
    }

    /// <summary>The row pass of the fused vector engine: the tile rule on one pixel.</summary>
    internal override void Row(RowPass pass)
    {
        var tile = OnePixelPass(new ImageShape(1, 1, 1), pass.Len, pass.WithNtk);
        pass.NngpRow.CopyTo(tile.A);
        if (pass.WithNtk) pass.NtkRow.CopyTo(tile.B);
        TileStep(tile);
        tile.A.AsSpan(0, pass.Len).CopyTo(pass.NngpRow);
        if (pass.WithNtk) tile.B.AsSpan(0, pass.Len).CopyTo(pass.NtkRow);
    }

    private ImageTilePass OnePixelPass(ImageShape shape, int len, bool withNtk)
    {
        OnePixel(shape);
        return new ImageTilePass(1, len, withNtk) { Full = true, Shape = shape, Window = Window(shape), Len = len };
    }

    /// <summary>Refuses a layer that does not map a one-pixel image to a one-pixel image.</summary>
    private void OnePixel(ImageShape shape)
    {
        ImageShape output;
        try { output = OutputShape(shape); }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"'{this}' cannot act on a vector (a one-pixel image): {e.Message}", e);
        }
        if (output.Pixels != 1)
            throw new InvalidOperationException($"'{this}' turns a vector (a one-pixel image) into a {output.Height}x{output.Width} image; use it on images (Architecture.WithInputShape) before a readout.");
    }

    // ---- readouts: a reduction of the pixel pairs to one pixel ----

    /// <summary>A readout's reduction of each segment position: dst[j] = the readout of k[pair·len + j] over the pairs.</summary>
    private protected virtual void Reduce(double[] k, int pixels, bool full, int len, Span<double> dst) =>
        throw new InvalidOperationException($"'{this}' is not a readout.");

    /// <summary>The readout of one state (len = 1) into dst[0]: the pair engine's access to <see cref="Reduce"/>.</summary>
    internal void ReduceOne(double[] k, int pixels, bool full, Span<double> dst) => Reduce(k, pixels, full, 1, dst);

    /// <summary>The readout rule on a state: every array reduced to one pixel of shape <see cref="OutputShape"/>.</summary>
    private protected ImageKernelState ApplyReadout(ImageKernelState s, bool keepsGaussian)
    {
        if (NeedsFullCovariance && !s.IsFull) throw NeedsFull(s);
        double[] One(double[] k) { var o = new double[1]; Reduce(k, s.Pixels, s.IsFull, 1, o); return o; }
        return new ImageKernelState(OutputShape(s.Shape), s.Layout, One(s.Nngp), One(s.Ntk), One(s.Cov1), One(s.Cov2), s.IsGaussian && keepsGaussian);
    }

    /// <summary>The readout in the self pass.</summary>
    private protected void SelfReadout(ImageSelfPass pass)
    {
        var o = new double[1];
        Reduce(pass.K, pass.Pixels, pass.Full, 1, o);
        pass.K = o;
    }

    /// <summary>The readout in the tile pass: the reduced segment lands in pixel 0 of the next buffers.</summary>
    private protected void TileReadout(ImageTilePass pass)
    {
        int len = pass.Len;
        Reduce(pass.A, pass.Pixels, pass.Full, len, pass.A2.AsSpan(0, len));
        if (pass.WithNtk) Reduce(pass.B, pass.Pixels, pass.Full, len, pass.B2.AsSpan(0, len));
        pass.Swap();
    }

    /// <summary>The message for a full-layout rule given a diagonal state.</summary>
    private protected ArgumentException NeedsFull(ImageKernelState s) =>
        new($"'{this}' mixes pixels and needs the full covariance layout; the state of {s.Shape} is diagonal (use CovarianceLayout.Full).");
}

/// <summary>Finite layers in sequence (the finite twin of an image network).</summary>
internal sealed class FiniteChain(List<FiniteLayer> parts) : FiniteLayer
{
    public override int OutputWidth => parts[^1].OutputWidth;
    public override IEnumerable<Matrix> Parameters => parts.SelectMany(p => p.Parameters);
    public override Matrix Forward(Matrix h) { foreach (var p in parts) h = p.Forward(h); return h; }
    public override Matrix Backward(Matrix delta, Backprop into)
    {
        for (int i = parts.Count - 1; i >= 0; i--) delta = parts[i].Backward(delta, into);
        return delta;
    }
}
