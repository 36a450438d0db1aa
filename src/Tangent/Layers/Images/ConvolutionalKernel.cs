using System.Runtime.CompilerServices;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>How the pixel-pair covariance of a pair of images is stored (docs/CONVOLUTION.md).</summary>
public enum CovarianceLayout
{
    /// <summary>Only the pixel diagonal K[p, p]: P numbers per image pair, O(P·|F|) per convolution.
    /// Enough when no layer mixes pixels (no pooling) and the readout is flatten.</summary>
    Diagonal,
    /// <summary>The full P×P covariance K[p, p']: P² numbers per image pair, O(P²·|F|) per convolution.
    /// Needed by avg_pool and global_avg_pool.</summary>
    Full,
}

/// <summary>
/// The infinite-width NNGP and NTK of a convolutional architecture on images (the CNTK of Arora et al.
/// 2019 and Neural Tangents' <c>stax.Conv</c>/<c>AvgPool</c>/<c>GlobalAvgPool</c>/<c>Flatten</c> kernel
/// rules, Novak et al. 2019, 2020). The architecture is cut into an image part (the layers that act on
/// images: conv, conv_transpose, pooling, elementwise activations), a readout (flatten or a global pool; a
/// flatten is implied when the image part ends without one) and a vector part (dense, activations, …) that
/// reuses the fused row engine of <see cref="Architecture"/>. For a pair of images the state is the
/// covariance of pixel pre-activations; the input state is K[p, p'] = Σ_c x1[p, c]·x2[p', c]/C
/// (docs/MATH.md §2, last item). The engine plans tiles, buffers, the memory budget and progress; the
/// rules are the layers' own (<see cref="Layer"/>'s image members, docs/CONVOLUTION.md "The layer
/// contract"), called without knowing their types; <see cref="Kernel"/> is the plain per-pair recursion.
/// </summary>
public sealed class ConvolutionalKernel
{
    private readonly List<Layer> _stage;           // the image steps: layers with ActsOnImages, the readout last
    private readonly ImageShape[] _shapes;         // input shape of each step, plus the (one-pixel) shape after the readout
    private readonly WindowGeometry?[] _geometry;  // each step's window on its input shape (Layer.Window)
    private readonly int[] _slotPixels;            // pixels of each recorded variance slot (activations), in order
    private readonly Layer? _tail;

    /// <summary>Prepares the kernel of <paramref name="architecture"/> on images of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The diagonal layout was forced on a pooling architecture, or the architecture mixes layers in a way this engine does not support
    /// (a dense layer inside the image part, image layers inside parallel branches or after the readout), or an
    /// image is too small for a window.</exception>
    /// <param name="architecture">The network.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="layout">Force a layout (Full also works where Diagonal would do, for checks); null = the cheapest the architecture allows.</param>
    public ConvolutionalKernel(Architecture architecture, ImageShape shape, CovarianceLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        shape.Validate();
        Architecture = architecture;
        InputShape = shape;
        // The kernels follow the execution tree (an activation after flatten moved before it, consecutive
        // activations composed: docs/LAYERS.md, "Gaussian pre-activations"); the finite twin follows the spec as written.
        (_stage, Readout, _tail) = Split(architecture, architecture.Execution);
        _stage.Add(Readout);

        _shapes = new ImageShape[_stage.Count + 1];
        _geometry = new WindowGeometry?[_stage.Count];
        var slots = new List<int>();
        var s = shape;
        for (int i = 0; i < _stage.Count; i++)
        {
            _shapes[i] = s;
            _geometry[i] = _stage[i].Window(s);
            for (int k = 0; k < _stage[i].ImageSlots; k++) slots.Add(s.Pixels);
            s = _stage[i].ImageOutputShape(s);
        }
        _shapes[^1] = s;
        _slotPixels = [.. slots];
        var needed = _stage.Any(l => l.NeedsFullImageCovariance) ? CovarianceLayout.Full : CovarianceLayout.Diagonal;
        if (layout == CovarianceLayout.Diagonal && needed == CovarianceLayout.Full)
            throw new ArgumentException($"'{architecture}' pools pixels ({string.Join(", ", _stage.Where(l => l.NeedsFullImageCovariance).Select(l => $"'{l}'"))}) and needs the full covariance layout, not the diagonal one.");
        Layout = layout ?? needed;
    }

    /// <summary>The architecture.</summary>
    public Architecture Architecture { get; }

    /// <summary>The image shape.</summary>
    public ImageShape InputShape { get; }

    /// <summary>The readout that ends the image part (an implied <see cref="Flatten"/> when the spec has none).</summary>
    public Layer Readout { get; }

    /// <summary>The covariance layout the architecture needs: full with pooling, else diagonal.</summary>
    public CovarianceLayout Layout { get; }

    /// <summary>Cuts a layer tree into the image part (the layers that act on images: <see cref="Layer.ActsOnImages"/>),
    /// the readout (an implied flatten when there is none before the first dense layer or the end) and the vector tail.</summary>
    /// <exception cref="ArgumentException">A vector layer inside the image part, an image layer after the readout or
    /// inside parallel branches, or a dense layer before any image layer.</exception>
    private static (List<Layer> Stage, Layer Readout, Layer? Tail) Split(Architecture architecture, Layer root)
    {
        var stage = new List<Layer>();
        Layer? readout = null;
        var layers = Flat(root).ToList();
        int k = 0;
        for (; k < layers.Count; k++)
        {
            var l = layers[k];
            if (l.IsImageReadout) { readout = l; k++; break; }
            if (l.ActsOnImages) { stage.Add(l); continue; }
            if (l.StartsWithDense)
            {
                if (!stage.Any(s => s is ImageLayer))
                    throw new ArgumentException($"'{architecture}': the first layer on images must be conv (or flatten to treat the image as a vector); dense acts on vectors. Use conv(size=1) for a per-pixel dense layer.");
                break;  // implicit flatten before the first dense layer
            }
            throw new ArgumentException($"'{architecture}': layer '{l}' cannot act on images here; the image part may hold conv, conv_transpose, avg_pool, sum_pool and activations, followed by flatten, global_avg_pool or global_sum_pool: move '{l}' after the readout.");
        }
        readout ??= new Flatten();
        var rest = layers.Skip(k).ToList();
        var bad = rest.FirstOrDefault(ContainsImageLayer);
        if (bad is not null)
            throw new ArgumentException($"'{architecture}': '{bad}' comes after the readout '{readout}'; image layers must come before flatten/global_avg_pool.");
        return (stage, readout, rest.Count == 0 ? null : new Serial(rest));
    }

    /// <summary>Checks, when an architecture with image layers is built, that its layers fit the image engine
    /// (<see cref="Split"/> of the tree as written and as executed), so a misplaced vector layer is refused before any computation.</summary>
    /// <exception cref="ArgumentException">As <see cref="Split"/>.</exception>
    internal static void CheckStructure(Architecture architecture)
    {
        Split(architecture, architecture.Root);
        Split(architecture, architecture.Execution);
    }

    private static IEnumerable<Layer> Flat(Layer l) => l switch
    {
        Serial s => s.Layers.SelectMany(Flat),
        Repeat r when ContainsImageLayer(r.Body) => Enumerable.Range(0, r.Count).SelectMany(_ => Flat(r.Body)),
        ParallelBranches p when p.Branches.Any(ContainsImageLayer) => throw new ArgumentException(
            $"'{p}': parallel branches of image layers are not supported by the convolutional kernel yet; put them after the readout or write the network serially."),
        _ => [l],
    };

    private static bool ContainsImageLayer(Layer l) => l switch
    {
        ImageLayer => true,
        Serial s => s.Layers.Any(ContainsImageLayer),
        Repeat r => ContainsImageLayer(r.Body),
        ParallelBranches p => p.Branches.Any(ContainsImageLayer),
        _ => false,
    };

    /// <summary>True when the layer tree holds a conv, pooling or image readout layer.</summary>
    public static bool HasImageLayers(Layer root) => ContainsImageLayer(root);

    /// <summary>
    /// The finite-width twin (docs/MATH.md §3): conv layers with <paramref name="width"/> channels (unless a conv
    /// fixes its own), parameters N(0, 1) in the 'ntk' parameterization, then the readout and the vector layers.
    /// </summary>
    public FiniteLayer Initialize(int width, Random rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentNullException.ThrowIfNull(rng);
        var (stage, readout, tail) = Split(Architecture, Architecture.Root);
        var parts = new List<FiniteLayer>();
        var shape = InputShape;   // the finite shape: channels are the finite network's
        foreach (var layer in stage.Append(readout))
        {
            (var finite, shape) = layer.InitializeImage(shape, width, rng);
            parts.Add(finite);
        }
        if (tail is not null) parts.Add(tail.Initialize(parts[^1].OutputWidth, width, rng));
        return new FiniteChain(parts);
    }

    /// <summary>
    /// The kernel state of one pair of images after the whole network by the plain recursion (no tiling, no
    /// fused passes): <see cref="ImageKernelState.FromImages"/> in <see cref="Layout"/>, every image layer's
    /// rule on it (<see cref="ImageLayer.Apply(ImageKernelState)"/>, activations per pixel pair), the readout,
    /// then the vector layers (<see cref="Layer.Apply(KernelState)"/>). The reference that
    /// <see cref="Compute(Matrix, Matrix, KernelOutputs, ComputeOptions)"/> is tested against.
    /// </summary>
    /// <exception cref="ArgumentException">An image does not have H·W·C values.</exception>
    public KernelState Kernel(ReadOnlySpan<double> x1, ReadOnlySpan<double> x2)
    {
        var s = ImageKernelState.FromImages(x1, x2, InputShape, Layout);
        foreach (var layer in _stage) s = layer.ApplyImage(s);
        var v = s.ToVector(null);
        return _tail is null ? v : _tail.Apply(v);
    }

    private int PairsAt(int step) => Layout == CovarianceLayout.Full ? _shapes[step].Pixels * _shapes[step].Pixels : _shapes[step].Pixels;

    private int MaxPairs => Enumerable.Range(0, _shapes.Length).Max(PairsAt);

    /// <summary>
    /// Bytes a kernel computation in float64 needs: the outputs, the per-image pixel variances (one P-vector per
    /// activation per image) and, per thread, the state buffers of one row segment of <paramref name="segment"/> columns
    /// (the tile engine), or what the pair engine needs when it takes the architecture (<paramref name="segment"/> unused).
    /// </summary>
    public long MemoryNeeded(int n1, int n2, int kernels, int segment, int threads)
    {
        if (UsePairEngine && CreatePairEngine<double>() is { } engine) return PairMemoryNeeded(engine, n1, n2, symmetric: false, kernels, threads);
        long outputs = (long)n1 * n2 * kernels * 8;
        long slots = (long)(n1 + n2) * _slotPixels.Length * MaxPixels() * 2 * 8;
        return outputs + slots + (long)threads * PerThread(segment);
    }

    private int MaxPixels() => _shapes.Max(s => s.Pixels);

    private long PerThread(int segment) => ((long)MaxPairs * 4 + InputShape.Features) * segment * 8;

    private static long? _defaultBudget;

    /// <summary>
    /// The process-wide memory budget used when <see cref="Compute(Matrix, Matrix, KernelOutputs, ComputeOptions)"/> is given none (as
    /// <see cref="LinearAlgebra.Provider"/> is process-wide): half of the memory available to the process
    /// unless set (the CLI's --memory-budget sets it). Set null to go back to half the memory.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A budget below 1 MiB.</exception>
    public static long? DefaultMemoryBudget
    {
        get => _defaultBudget ?? Engine.MemoryGuard.AvailableBytes / 2;
        set
        {
            if (value is < 1 << 20) throw new ArgumentOutOfRangeException(nameof(value), $"A memory budget of {value} bytes is too small; give at least 1 MiB (e.g. 4GB).");
            _defaultBudget = value;
        }
    }

    /// <summary>
    /// The NNGP and/or NTK matrices (n1×n2) of images given as rows of n×(H·W·C) pixels in H, W, C
    /// order. Pass <paramref name="x2"/> = null for K(X1, X1) (upper triangle computed, then mirrored).
    /// Work is cut into tiles of row segments whose length is chosen so that the whole computation
    /// fits in <paramref name="memoryBudget"/> bytes; any n1, n2 (no divisibility constraints).
    /// </summary>
    /// <param name="x1">n1×(H·W·C) images.</param>
    /// <param name="x2">n2×(H·W·C) images, or null.</param>
    /// <param name="outputs">Which kernels.</param>
    /// <param name="progress">Progress in kernel entries, with the remaining time.</param>
    /// <param name="cancellationToken">Stops between tiles.</param>
    /// <param name="memoryBudget">Bytes allowed; default <see cref="DefaultMemoryBudget"/>.</param>
    /// <exception cref="ArgumentException">Inputs do not have H·W·C columns or hold NaN/∞.</exception>
    /// <exception cref="InsufficientMemoryException">Even one column per segment does not fit the budget; the message gives the bytes needed and how to fit.</exception>
    public KernelResult Compute(Matrix x1, Matrix? x2 = null, KernelOutputs outputs = KernelOutputs.Both,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default, long? memoryBudget = null) =>
        Compute(x1, x2, outputs, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken, MemoryBudget = memoryBudget });

    /// <summary>
    /// The NNGP and/or NTK matrices of images, as the other overload describes, with every setting from
    /// <paramref name="options"/>: the memory budget (null = <see cref="DefaultMemoryBudget"/>), the tile size
    /// (the longest row segment, default 64, halved further until the computation fits the budget), the
    /// thread limit (also used to size the per-thread buffers against the budget), progress and cancellation.
    /// This engine does no GEMM (the pixel covariances are direct sums), so <see cref="ComputeOptions.Provider"/> is not used.
    /// </summary>
    /// <param name="x1">n1×(H·W·C) images.</param>
    /// <param name="x2">n2×(H·W·C) images, or null.</param>
    /// <param name="outputs">Which kernels.</param>
    /// <param name="options">How to compute; <see cref="ComputeOptions.Default"/> for the process defaults.</param>
    /// <exception cref="ArgumentException">Inputs do not have H·W·C columns or hold NaN/∞.</exception>
    /// <exception cref="InsufficientMemoryException">Even one column per segment does not fit the budget; the message gives the bytes needed and how to fit.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public KernelResult Compute(Matrix x1, Matrix? x2, KernelOutputs outputs, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(options);
        bool symmetric = x2 is null || ReferenceEquals(x1, x2);
        x2 ??= x1;
        CheckInput(x1, "X1");
        if (!symmetric) CheckInput(x2, "X2");
        if ((outputs & KernelOutputs.Both) == 0) throw new ArgumentException("Ask for at least one of Nngp and Ntk.", nameof(outputs));
        bool wantNngp = outputs.HasFlag(KernelOutputs.Nngp), wantNtk = outputs.HasFlag(KernelOutputs.Ntk);
        if (wantNtk && !Architecture.HasNtk)
            throw new NotSupportedException($"The architecture '{Architecture}' has no NTK (sign); ask for the NNGP.");

        if (UsePairEngine && options.Precision == Precision.Float32 && PairEngine<float>.TryCreate(_stage, _shapes, _geometry, Layout) is { } single)
            return ComputePairs(single, x1, x2, symmetric, wantNngp, wantNtk, options);
        if (UsePairEngine && PairEngine<double>.TryCreate(_stage, _shapes, _geometry, Layout) is { } engine)
            return ComputePairs(engine, x1, x2, symmetric, wantNngp, wantNtk, options);

        int n1 = x1.Rows, n2 = x2.Rows;
        int threads = options.Threads;
        long budget = options.MemoryBudget ?? DefaultMemoryBudget!.Value;
        int kernels = (wantNngp ? 1 : 0) + (wantNtk ? 1 : 0);
        int segment = Math.Min(options.TileSize ?? 64, Math.Max(n1, n2));   // no buffers wider than the inputs (a single pair needs 1 column)
        while (segment > 1 && MemoryNeeded(n1, n2, kernels, segment, threads) > budget) segment /= 2;
        long need = MemoryNeeded(n1, n2, kernels, segment, threads);
        if (need > budget)
            throw new InsufficientMemoryException(
                $"The {Layout.ToString().ToLowerInvariant()}-layout kernel of '{Architecture}' on {n1}×{n2} images of {InputShape} needs {Mb(need)} " +
                $"({Mb((long)n1 * n2 * kernels * 8)} for the output, {Mb((long)threads * PerThread(1))} for {threads} threads' pixel-pair buffers) but the budget is {Mb(budget)}. " +
                "To fit: raise the budget (ComputeOptions.MemoryBudget, the memoryBudget argument, or DefaultMemoryBudget), use fewer threads (ComputeOptions.MaxThreads), compute the kernel in blocks of fewer rows/columns, ask for one kernel only (KernelOutputs.Nngp or Ntk), " +
                (Layout == CovarianceLayout.Full ? "use a flatten readout instead of pooling (diagonal layout, P instead of P² numbers per pair), " : "") +
                "or use smaller images.");

        var self1 = SelfPass(x1, options.ParallelOptions);
        var self2 = symmetric ? self1 : SelfPass(x2, options.ParallelOptions);
        var tail1 = TailSlots(self1.Readout);
        var tail2 = symmetric ? tail1 : TailSlots(self2.Readout);

        var nngp = wantNngp ? new Matrix(n1, n2) : null;
        var ntk = wantNtk ? new Matrix(n1, n2) : null;
        var tiles = TileScheduler.Plan(n1, n2, symmetric, segment, segment);
        using var buffers = new ThreadLocal<Buffers>(() => new Buffers(MaxPairs, segment, InputShape.Features, wantNtk, tail1, tail2, self1, self2, n1, n2, Layout == CovarianceLayout.Full));
        TileScheduler.Run(tiles, t => ComputeTile(t, buffers.Value!, x1, x2, nngp, ntk, symmetric),
            $"cntk {n1}×{n2}", options);
        if (symmetric)
        {
            if (nngp is not null) TileScheduler.MirrorUpperToLower(nngp.Data, n1);
            if (ntk is not null) TileScheduler.MirrorUpperToLower(ntk.Data, n1);
        }
        return new KernelResult(nngp, ntk);
    }

    /// <summary>False: every architecture takes the tile engine (for tests and measurements of the two engines side by side).</summary>
    internal static bool UsePairEngine { get; set; } = true;

    /// <summary>The pair engine of this kernel in <typeparamref name="T"/>, or null when its stages need the tile engine.</summary>
    internal PairEngine<T>? CreatePairEngine<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        PairEngine<T>.TryCreate(_stage, _shapes, _geometry, Layout);

    /// <summary>Full-layout pairs with at least this many pixel pairs are computed one at a time with their rows shared among the cores.</summary>
    internal const int RowParallelPairs = 1 << 14;

    /// <summary>
    /// Bytes the pair engine needs: the outputs, the per-image variances (double as recorded, plus three arrays of
    /// <typeparamref name="T"/> per activation: variance, root and inverse root) and the pair buffers (one set per thread,
    /// or one shared set when the rows of a large full-layout pair are shared among the cores).
    /// </summary>
    private long PairMemoryNeeded<T>(PairEngine<T> engine, int n1, int n2, bool symmetric, int kernels, int threads)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        long size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        long images = symmetric ? n1 : (long)n1 + n2;
        long slots = images * (_slotPixels.Sum(p => (long)p) * 8 + engine.ImageValues(_slotPixels) * 3 * size);
        int sets = engine.Full && engine.MaxPairs >= RowParallelPairs ? 1 : threads;
        long work = PairEngine<T>.Work.Bytes(engine.MaxPairs, InputShape.Features, engine.Full) + (size == 4 ? PairEngine<double>.Work.Bytes(engine.MaxPairs, InputShape.Features, engine.Full) : 0);
        return (long)n1 * n2 * kernels * 8 + slots + sets * work;
    }

    /// <summary>
    /// The kernel matrices by the pair engine (<see cref="PairEngine{T}"/>): the self pass in double (recording each
    /// activation's input variances), then every pair of the upper triangle (or of X1×X2) vectorised over pixels,
    /// the vector tail on each row segment. Small pairs run in parallel by tiles; a large full-layout pair (at least
    /// <see cref="RowParallelPairs"/> pixel pairs) shares its rows among the cores, one pair after another. In float32,
    /// the diagonal entries K(x, x) of a symmetric kernel are computed in double (ρ = 1 there, where arccos is steepest).
    /// </summary>
    private KernelResult ComputePairs<T>(PairEngine<T> engine, Matrix x1, Matrix x2, bool symmetric, bool wantNngp, bool wantNtk, ComputeOptions options)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int n1 = x1.Rows, n2 = x2.Rows, threads = options.Threads, kernels = (wantNngp ? 1 : 0) + (wantNtk ? 1 : 0);
        long budget = options.MemoryBudget ?? DefaultMemoryBudget!.Value;
        long need = PairMemoryNeeded(engine, n1, n2, symmetric, kernels, threads);
        if (need > budget)
            throw new InsufficientMemoryException(
                $"The {Layout.ToString().ToLowerInvariant()}-layout kernel of '{Architecture}' on {n1}×{n2} images of {InputShape} needs {Mb(need)} " +
                $"({Mb((long)n1 * n2 * kernels * 8)} for the output) but the budget is {Mb(budget)}. " +
                "To fit: raise the budget (ComputeOptions.MemoryBudget, the memoryBudget argument, or DefaultMemoryBudget), use fewer threads (ComputeOptions.MaxThreads), " +
                "compute the kernel in blocks of fewer rows/columns, ask for one kernel only (KernelOutputs.Nngp or Ntk), " +
                (Layout == CovarianceLayout.Full ? "use a flatten readout instead of pooling (diagonal layout, P instead of P² numbers per pair), " : "") +
                "or use smaller images.");
        bool rowParallel = engine.Full && engine.MaxPairs >= RowParallelPairs;
        var rows = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = options.CancellationToken };
        var engine64 = typeof(T) == typeof(double) ? (PairEngine<double>)(object)engine : PairEngine<double>.TryCreate(_stage, _shapes, _geometry, Layout)!;

        // The self passes (double) record each image's variances; on a symmetric kernel they also give its diagonal, NTK included.
        double[][] record1 = SelfPairs(engine64, x1, symmetric && wantNtk, rowParallel, rows, out var readout1, out var selfNtk);
        double[][] record2 = record1; double[] readout2 = readout1;
        if (!symmetric) record2 = SelfPairs(engine64, x2, false, rowParallel, rows, out readout2, out _);
        var tail1 = TailSlots(readout1);
        var tail2 = symmetric ? tail1 : TailSlots(readout2);
        var images1 = engine.Convert(record1, n1);
        var images2 = symmetric ? images1 : engine.Convert(record2, n2);

        var nngp = wantNngp ? new Matrix(n1, n2) : null;
        var ntk = wantNtk ? new Matrix(n1, n2) : null;
        int segment = Math.Max(1, Math.Min(options.TileSize ?? (rowParallel ? 1 : 16), Math.Max(n1, n2)));
        var tiles = TileScheduler.Plan(n1, n2, symmetric, segment, segment);
        var shared = rowParallel ? new PairEngine<T>.Work(engine.MaxPairs, InputShape.Features) : null;
        using var work = new ThreadLocal<(PairEngine<T>.Work Work, RowPass Tail)>(() =>
            (shared ?? new PairEngine<T>.Work(engine.MaxPairs, InputShape.Features), new RowPass(tail1, tail2, segment, wantNtk)));
        var tileOptions = rowParallel ? options with { MaxThreads = 1 } : options;
        TileScheduler.Run(tiles, t =>
        {
            var (w, tail) = work.Value;
            for (int i = t.Row0; i < t.Row0 + t.Rows; i++)
            {
                int j0 = symmetric ? Math.Max(t.Col0, i) : t.Col0, j1 = t.Col0 + t.Cols;
                if (j0 >= j1) continue;
                int len = j1 - j0;
                for (int j = j0; j < j1; j++)
                {
                    double kn, kt;
                    if (symmetric && i == j) (kn, kt) = (readout1[i], wantNtk ? selfNtk[i] : 0);   // from the self pass, in double
                    else (kn, kt) = engine.Pair(w, x1.Row(i), x2.Row(j), images1, i, images2, j, wantNtk, rowParallel ? rows : null);
                    tail.Nngp[j - j0] = kn;
                    if (wantNtk) tail.Ntk[j - j0] = kt;
                }
                tail.I = i; tail.J0 = j0; tail.Len = len; tail.Slot = 0;
                _tail?.Row(tail);
                if (nngp is not null) tail.Nngp.AsSpan(0, len).CopyTo(nngp.Data.AsSpan(i * n2 + j0));
                if (ntk is not null) tail.Ntk.AsSpan(0, len).CopyTo(ntk.Data.AsSpan(i * n2 + j0));
            }
        }, $"cntk {n1}×{n2}", tileOptions);
        if (symmetric)
        {
            if (nngp is not null) TileScheduler.MirrorUpperToLower(nngp.Data, n1);
            if (ntk is not null) TileScheduler.MirrorUpperToLower(ntk.Data, n1);
        }
        return new KernelResult(nngp, ntk);
    }

    /// <summary>The self pass of every image by the pair engine (in double): the recorded variances [slot][p·n + image] and the readout variances.</summary>
    private double[][] SelfPairs(PairEngine<double> engine, Matrix x, bool withNtk, bool rowParallel, ParallelOptions rows, out double[] readout, out double[] ntk)
    {
        int n = x.Rows;
        var record = _slotPixels.Select(p => new double[p * n]).ToArray();
        var values = new double[n];
        var thetas = new double[n];
        try
        {
            if (rowParallel)
            {
                var w = new PairEngine<double>.Work(engine.MaxPairs, InputShape.Features);
                for (int img = 0; img < n; img++)
                {
                    rows.CancellationToken.ThrowIfCancellationRequested();
                    (values[img], thetas[img]) = engine.Self(w, x.Row(img), record, img, n, withNtk, rows);
                }
            }
            else
            {
                using var work = new ThreadLocal<PairEngine<double>.Work>(() => new PairEngine<double>.Work(engine.MaxPairs, InputShape.Features));
                System.Threading.Tasks.Parallel.For(0, n, rows, img => (values[img], thetas[img]) = engine.Self(work.Value!, x.Row(img), record, img, n, withNtk, null));
            }
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(inner => inner is NonGaussianInputException) is { } refusal)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refusal);
        }
        readout = values;
        ntk = thetas;
        return record;
    }

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";

    private void CheckInput(Matrix x, string name)
    {
        if (x.Cols != InputShape.Features)
            throw new ArgumentException($"{name} is {x.Shape} but images of {InputShape} have {InputShape.Features} features per row (H·W·C, in H, W, C order); check the image shape.");
        if (x.Rows == 0) throw new ArgumentException($"{name} has no images.");
        Kernels.KernelInputs.RequireFinite(x, name, "image", "feature");
    }

    /// <summary>Per-image quantities: each activation's input pixel variances (pixel-major: [p·n + image]) and the readout variance.</summary>
    private sealed record SelfState(double[][] Cov, double[][] Sqrt, double[] Readout);

    private List<DiagonalSlot> TailSlots(double[] readout)
    {
        if (_tail is null) return [];
        var pass = new DiagonalPass((double[])readout.Clone(), null);
        _tail.Diagonal(pass);
        return pass.Slots;
    }

    /// <summary>The self pass K(x, x) of every image, keeping each activation's input diagonal (O(n·P·|F|) or O(n·P²·|F|)).</summary>
    private SelfState SelfPass(Matrix x, ParallelOptions parallel)
    {
        int n = x.Rows;
        var cov = _slotPixels.Select(p => new double[p * n]).ToArray();
        var readout = new double[n];
        bool full = Layout == CovarianceLayout.Full;
        try
        {
            System.Threading.Tasks.Parallel.For(0, n, parallel, img =>
            {
                var xs = x.Row(img);
                var pass = new ImageSelfPass(ImageKernelState.InputCovariance(xs, xs, InputShape, full), InputShape, full, cov, img, n);
                for (int step = 0; step < _stage.Count; step++)
                {
                    pass.Shape = _shapes[step];
                    pass.Window = _geometry[step];
                    _stage[step].SelfStep(pass);
                }
                readout[img] = pass.K[0];   // one pixel after the readout
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(inner => inner is NonGaussianInputException) is { } refusal)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refusal);
        }
        var sqrt = cov.Select(c => c.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray()).ToArray();
        return new SelfState(cov, sqrt, readout);
    }

    /// <summary>Per-thread buffers: the tile pass (state buffers of one row segment), X2 of the tile feature-major, and the vector tail's row pass.</summary>
    private sealed class Buffers
    {
        public readonly ImageTilePass Pass;
        public readonly double[] X2T;
        public readonly RowPass Tail;

        public Buffers(int pairs, int segment, int features, bool withNtk, IReadOnlyList<DiagonalSlot> tail1, IReadOnlyList<DiagonalSlot> tail2,
            SelfState self1, SelfState self2, int n1, int n2, bool full)
        {
            Pass = new ImageTilePass(pairs, segment, withNtk)
            {
                Full = full, N1 = n1, N2 = n2, Cov1 = self1.Cov, Sqrt1 = self1.Sqrt, Cov2 = self2.Cov, Sqrt2 = self2.Sqrt,
            };
            X2T = new double[features * segment];
            Tail = new RowPass(tail1, tail2, segment, withNtk);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeTile(Tile t, Buffers buf, Matrix x1, Matrix x2, Matrix? nngp, Matrix? ntk, bool symmetric)
    {
        int F = InputShape.Features, C = InputShape.Channels, P0 = InputShape.Pixels, n2 = x2.Rows;
        int cols = t.Cols;
        // X2 of this tile, feature-major: X2T[f·cols + j].
        for (int j = 0; j < cols; j++)
        {
            var row = x2.Row(t.Col0 + j);
            for (int f = 0; f < F; f++) buf.X2T[f * cols + j] = row[f];
        }
        var pass = buf.Pass;
        bool full = pass.Full;
        for (int i = t.Row0; i < t.Row0 + t.Rows; i++)
        {
            int j0 = symmetric ? Math.Max(t.Col0, i) : t.Col0, j1 = t.Col0 + cols;
            if (j0 >= j1) continue;
            int len = j1 - j0, off = j0 - t.Col0;
            var xi = x1.Row(i);
            // Input state K[p, p'] = Σ_c x1[p, c]·x2[p', c] / C; Θ = 0.
            int pairs = full ? P0 * P0 : P0;
            var A = pass.A;
            for (int u = 0; u < pairs; u++)
            {
                int p = full ? u / P0 : u, q = full ? u % P0 : u;
                var dst = A.AsSpan(u * len, len);
                dst.Clear();
                for (int c = 0; c < C; c++)
                    ImageMath.Axpy(xi[p * C + c] / C, buf.X2T.AsSpan((q * C + c) * cols + off, len), dst);
            }
            if (pass.WithNtk) pass.B.AsSpan(0, pairs * len).Clear();
            pass.I = i; pass.J0 = j0; pass.Len = len; pass.Slot = 0;
            for (int step = 0; step < _stage.Count; step++)
            {
                pass.Shape = _shapes[step];
                pass.Window = _geometry[step];
                if (step + 1 < _stage.Count && _stage[step].FusesWith(_stage[step + 1]))
                {
                    _stage[step].TileStepFused(pass, _stage[step + 1]);   // e.g. a conv and its activation in one sweep
                    step++;
                }
                else _stage[step].TileStep(pass);
            }
            // After the readout: one pixel, the segment in A[0..len) (and B).
            var tail = buf.Tail;
            var outN = tail.Nngp.AsSpan(0, len);
            var outT = pass.WithNtk ? tail.Ntk.AsSpan(0, len) : Span<double>.Empty;
            pass.A.AsSpan(0, len).CopyTo(outN);
            if (pass.WithNtk) pass.B.AsSpan(0, len).CopyTo(outT);
            if (_tail is not null)
            {
                tail.I = i; tail.J0 = j0; tail.Len = len; tail.Slot = 0;
                _tail.Row(tail);
            }
            if (nngp is not null) outN.CopyTo(nngp.Data.AsSpan(i * n2 + j0));
            if (ntk is not null) outT.CopyTo(ntk.Data.AsSpan(i * n2 + j0));
        }
    }
}
