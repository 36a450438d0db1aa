using System.Diagnostics;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// Image inpainting with the CNTK of a fully convolutional network (Radhakrishnan, Stefanakis, Belkin &amp; Uhler, PNAS
/// 2022, §"image inpainting"; docs/COMPLETION.md). The network maps one fixed input to an image of the same size, as in
/// the deep image prior; its pixels are the samples and its channels the outputs. The infinite-width kernel between
/// output pixels p and q, Θ[p, q], is the image-kernel recursion of Tangent's conv, pooling and activation layers
/// (docs/CONVOLUTION.md, full layout) run on the input covariance Σ₀[p, q] = ρ + (1 − ρ)·δ_pq (an input of infinitely many
/// noise channels, each a shared offset plus independent per-pixel noise, ρ = <see cref="InputCorrelation"/>). Each
/// channel's missing pixels are then predicted by kernel regression from its observed ones:
/// x̂_U = Θ[U, O]·(Θ[O, O] + λI)⁻¹·x_O. Channels with the same missing pixels share one solve.
/// Convolutions alone never correlate two different output pixels of a white-noise input (both sides meet the same
/// filter tap), so the network needs pooling, which averages neighbouring pixels: the default is three conv blocks
/// separated by 3×3 average pooling with stride 1, ending in a linear conv (the paper uses nearest-neighbour down- and
/// up-sampling for the same purpose).
/// </summary>
/// <param name="Architecture">The network: conv, conv_transpose, avg_pool, sum_pool and activations only (no readout, no dense),
/// mapping an H×W image to an H×W image.</param>
public sealed record ImageInpainting(Architecture Architecture)
{
    /// <summary>The default network (see the type's summary).</summary>
    public const string DefaultArchitecture =
        "conv(w=1.41) relu conv(w=1.41) relu avg_pool(size=3,stride=1,padding=same) " +
        "conv(w=1.41) relu conv(w=1.41) relu avg_pool(size=3,stride=1,padding=same) " +
        "conv(w=1.41) relu conv(w=1.41) relu conv";

    /// <summary>The NTK of <see cref="DefaultArchitecture"/>, ρ = 0, no ridge.</summary>
    public static ImageInpainting Default => new(Architecture.Parse(DefaultArchitecture));

    /// <summary>The NTK (default) or the NNGP of the network.</summary>
    public KernelOutputs Get { get; init; } = KernelOutputs.Ntk;

    /// <summary>The ridge λ added to Θ[O, O] (default none: the minimum-norm interpolant of the observed pixels).</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>How Θ[O, O] + λI is solved.</summary>
    public Solver Solver { get; init; } = Solver.Auto;

    /// <summary>ρ ∈ [0, 1): the correlation between two different pixels of the network's (noise) input (default 0).</summary>
    public double InputCorrelation { get; init; }

    /// <summary>The kernel between the output pixels of an H×W image, P×P with P = H·W (pixel p = row·W + column).</summary>
    /// <exception cref="ArgumentException">The architecture has a readout or vector layers, does not keep the image size, or gives a non-finite kernel.</exception>
    /// <exception cref="InsufficientMemoryException">The P×P pixel-pair states do not fit.</exception>
    public Matrix PositionKernel(int height, int width, ComputeOptions? options = null)
    {
        options ??= ComputeOptions.Default;
        ArgumentNullException.ThrowIfNull(Architecture);
        if (Get is not (KernelOutputs.Ntk or KernelOutputs.Nngp))
            throw new ArgumentOutOfRangeException(nameof(Get), Get, "Get must be Ntk or Nngp (one kernel).");
        if (Get == KernelOutputs.Ntk && !Architecture.HasNtk)
            throw new ArgumentException($"'{Architecture}' has no NTK (a sign activation); use Get = Nngp.");
        if (!(InputCorrelation >= 0 && InputCorrelation < 1))
            throw new ArgumentOutOfRangeException(nameof(InputCorrelation), InputCorrelation, "The input correlation ρ must be in [0, 1).");
        var shape = new ImageShape(height, width, 1);
        shape.Validate();
        var layers = ImageLayers();
        long p = shape.Pixels;
        // Two states (the one read and the one written) of four P×P arrays each.
        options.RequireMemory(checked(2 * 4 * 8 * p * p), $"The {height}×{width} pixel kernel of '{Architecture}' (P² = {p * p} pixel pairs)",
            "inpaint a smaller image, or cut it into tiles and inpaint each");
        int P = shape.Pixels;
        double rho = InputCorrelation;
        var sigma = new double[P * P];
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++) sigma[a * P + b] = a == b ? 1 : rho;
        var state = new ImageKernelState(shape, CovarianceLayout.Full, sigma, new double[P * P], (double[])sigma.Clone(), (double[])sigma.Clone(), IsGaussian: false);
        foreach (var layer in layers)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            state = layer.ApplyImage(state);
        }
        if (state.Shape.Height != height || state.Shape.Width != width)
            throw new ArgumentException($"'{Architecture}' turns a {height}×{width} image into {state.Shape.Height}×{state.Shape.Width}; inpainting needs the output the size of the input (padding=same, stride 1, or a conv_transpose undoing each stride).");
        var k = new Matrix(P, P, Get == KernelOutputs.Ntk ? state.Ntk : state.Nngp);
        if (k.FirstNonFinite() is var (r, c))
            throw new ArgumentException($"Entry ({r + 1}, {c + 1}) of the pixel kernel of '{Architecture}' is not finite; lower the weight scales (w=) of the layers.");
        return k;
    }

    /// <summary>Inpaints <paramref name="image"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="PositionKernel"/>.</exception>
    /// <exception cref="InsufficientMemoryException">As <see cref="PositionKernel"/>.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public InpaintingResult Inpaint(IncompleteImage image, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= ComputeOptions.Default;
        var clock = Stopwatch.StartNew();
        var k = PositionKernel(image.Shape.Height, image.Shape.Width, options);
        options.Progress?.Report(new ProgressInfo(1, 2, "kernel", clock.Elapsed));
        var result = Inpaint(image, k, options);
        options.Progress?.Report(new ProgressInfo(2, 2, "solve", clock.Elapsed));
        return result;
    }

    /// <summary>Inpaints <paramref name="image"/> with a pixel kernel computed before (<see cref="PositionKernel"/> of the image's
    /// height and width), e.g. to inpaint many images of one size.</summary>
    /// <exception cref="ArgumentException">The kernel is not P×P for the image's P pixels, or a channel has no observed pixel.</exception>
    public InpaintingResult Inpaint(IncompleteImage image, Matrix positionKernel, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(positionKernel);
        options ??= ComputeOptions.Default;
        Validate.Ridge(Ridge);
        var shape = image.Shape;
        var k = positionKernel;
        int P = shape.Pixels, C = shape.Channels;
        if (k.Rows != P || k.Cols != P)
            throw new ArgumentException($"The pixel kernel is {k.Shape} but the {shape} image has {P} pixels; compute it with PositionKernel({shape.Height}, {shape.Width}).");
        var fill = new double[shape.Features];
        var regression = new KernelRegression(new PrecomputedKernel(Describe())) { Ridge = Ridge, Solver = Solver };
        // Channels with the same missing pixels share one solve.
        var groups = Enumerable.Range(0, C).GroupBy(c => new string([.. Enumerable.Range(0, P).Select(p => image.IsObserved(p * C + c) ? '1' : '0')]));
        foreach (var group in groups)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            int[] channels = [.. group];
            int[] observed = [.. Enumerable.Range(0, P).Where(p => group.Key[p] == '1')];
            int[] missing = [.. Enumerable.Range(0, P).Where(p => group.Key[p] == '0')];
            if (missing.Length == 0) continue;
            if (observed.Length == 0)
                throw new ArgumentException($"Channel {channels[0] + 1} of the {shape} image has no observed pixel; kernel inpainting predicts a channel from its own observed pixels.");
            var y = new Matrix(observed.Length, channels.Length);
            for (int a = 0; a < observed.Length; a++)
                for (int g = 0; g < channels.Length; g++) y[a, g] = image.ValueAt(observed[a] * C + channels[g]);
            var positions = new Matrix(observed.Length, 1, [.. observed.Select(o => (double)o)]);
            var model = regression.FitKernel(positions, NeuralMatrixCompletion.Sub(k, observed, observed), y);
            var pred = model.PredictFromKernel(NeuralMatrixCompletion.Sub(k, missing, observed));
            for (int u = 0; u < missing.Length; u++)
                for (int g = 0; g < channels.Length; g++) fill[missing[u] * C + channels[g]] = pred[u, g];
        }
        return new InpaintingResult(image.Merge(fill), image, Describe());
    }

    /// <summary>A description such as <c>ntk of conv(w=1.41) relu … (ρ = 0)</c>.</summary>
    public string Describe() =>
        $"{(Get == KernelOutputs.Nngp ? "nngp" : "ntk")} of {Architecture}{(InputCorrelation != 0 ? $" (ρ = {InputCorrelation.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)})" : "")}";

    /// <summary>The layers in the order the kernel runs them; refuses readouts, vector layers and parallel branches.</summary>
    private List<Layer> ImageLayers()
    {
        var list = new List<Layer>();
        void Add(Layer l)
        {
            switch (l)
            {
                case Serial s: foreach (var x in s.Layers) Add(x); break;
                case Repeat r: for (int i = 0; i < r.Count; i++) Add(r.Body); break;
                case { IsImageReadout: true }:
                    throw new ArgumentException($"'{Architecture}': inpainting predicts every pixel, so the network ends without a readout; remove '{l}' and what follows it.");
                case { ActsOnImages: true }: list.Add(l); break;
                default:
                    throw new ArgumentException($"'{Architecture}': '{l}' acts on vectors; an inpainting network holds only conv, conv_transpose, avg_pool, sum_pool and activations.");
            }
        }
        Add(Architecture.Execution);
        if (list.Count == 0 || list[0] is not ImageLayer)
            throw new ArgumentException($"'{Architecture}': an inpainting network starts with a conv layer.");
        return list;
    }

    /// <summary>A stand-in <see cref="IKernel"/> for <see cref="KernelRegression.FitKernel(Matrix, Matrix, Matrix)"/>, which is
    /// only ever given precomputed kernel matrices here.</summary>
    private sealed class PrecomputedKernel(string description) : IKernel
    {
        public Matrix Compute(Matrix x1, Matrix? x2 = null, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The pixel kernel is precomputed.");

        public double[] Diagonal(Matrix x) => throw new NotSupportedException("The pixel kernel is precomputed.");

        public string Describe() => description;
    }
}
