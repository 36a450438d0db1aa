namespace Tangent.Layers;

/// <summary>
/// The image side of the layer contract (docs/CONVOLUTION.md, "The layer contract"): what
/// <see cref="ConvolutionalKernel"/> asks of a layer without knowing its type. A layer that acts on images
/// (<see cref="ActsOnImages"/>: the <see cref="ImageLayer"/>s and the elementwise <see cref="Activation"/>s)
/// gives its rule on the pixel-pair covariances twice: per image (<see cref="SelfStep"/>, K(x, x)) and per
/// row segment of a tile (<see cref="TileStep"/>), both checked against its plain reference
/// <see cref="ApplyImage"/>. Every other layer is a vector layer: the architecture refuses it inside the
/// image part when it is built.
/// </summary>
public abstract partial class Layer
{
    /// <summary>True when the layer has a kernel rule on images (conv, pooling, readouts, elementwise activations).</summary>
    internal virtual bool ActsOnImages => false;

    /// <summary>True for the readouts that end the image part (flatten, global pools).</summary>
    internal virtual bool IsImageReadout => false;

    /// <summary>True when a dense layer comes first, which reads the flat vector of pixels: the image part ends
    /// before it with an implied flatten.</summary>
    internal virtual bool StartsWithDense => false;

    /// <summary>True when the rule mixes pixel pairs and needs the full P×P covariance (pooling).</summary>
    internal virtual bool NeedsFullImageCovariance => false;

    /// <summary>Per-image variance slots the self pass records for the tile pass (1 for an activation).</summary>
    internal virtual int ImageSlots => 0;

    /// <summary>The image shape after the layer (elementwise layers keep it).</summary>
    internal virtual ImageShape ImageOutputShape(ImageShape input) => input;

    /// <summary>The window geometry the layer's rule uses on <paramref name="input"/>, computed once per shape
    /// by the engine and handed back in the passes; null for layers without a window.</summary>
    internal virtual WindowGeometry? Window(ImageShape input) => null;

    /// <summary>The plain kernel rule on one image pair (the reference the engine is tested against).</summary>
    /// <exception cref="InvalidOperationException">A vector layer (<see cref="ActsOnImages"/> false).</exception>
    internal virtual ImageKernelState ApplyImage(ImageKernelState state) => throw NotOnImages();

    /// <summary>The self pass: maps <see cref="ImageSelfPass.K"/>, the covariance of one image with itself.</summary>
    internal virtual void SelfStep(ImageSelfPass pass) => throw NotOnImages();

    /// <summary>The tile pass: maps the state buffers of one row segment (pixel-pair-major, segment-minor).</summary>
    internal virtual void TileStep(ImageTilePass pass) => throw NotOnImages();

    /// <summary>True when this layer's tile step and <paramref name="next"/>'s can run as one (<see cref="TileStepFused"/>).</summary>
    internal virtual bool FusesWith(Layer next) => false;

    /// <summary>This layer's tile step and that of <paramref name="next"/> in one sweep (only where <see cref="FusesWith"/> says so).</summary>
    internal virtual void TileStepFused(ImageTilePass pass, Layer next) => throw new InvalidOperationException($"'{this}' does not fuse with '{next}'.");

    /// <summary>The finite-width twin on images of <paramref name="input"/> (the finite shape: channels are the
    /// finite network's); returns the layer and the shape after it.</summary>
    internal virtual (FiniteLayer Layer, ImageShape Output) InitializeImage(ImageShape input, int width, Random rng) =>
        (Initialize(input.Features, width, rng), input);

    private InvalidOperationException NotOnImages() => new($"'{this}' acts on vectors, not images; put it after the image readout (flatten, global_avg_pool or global_sum_pool).");
}
