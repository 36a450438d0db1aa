using System.Numerics;
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
/// rules, Novak et al. 2019, 2020). The architecture is cut into an image part (conv, elementwise
/// activations, avg_pool), a readout (flatten or global_avg_pool; a flatten is implied when the image
/// part ends without one) and a vector part (dense, activations, …) that reuses the fused row engine of
/// <see cref="Architecture"/>. For a pair of images the state is the covariance of pixel pre-activations;
/// the input state is K[p, p'] = Σ_c x1[p, c]·x2[p', c]/C (docs/MATH.md §2, last item).
/// </summary>
public sealed class ConvolutionalKernel
{
    private readonly List<Layer> _stage;           // Conv, AvgPool or Activation
    private readonly ImageShape[] _shapes;         // input shape of each stage step, plus the shape at the readout
    private readonly WindowGeometry?[] _geometry;
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

        _shapes = new ImageShape[_stage.Count + 1];
        _geometry = new WindowGeometry?[_stage.Count];
        var s = shape;
        for (int i = 0; i < _stage.Count; i++)
        {
            _shapes[i] = s;
            _geometry[i] = _stage[i] switch { Conv c => c.Geometry(s), WindowPool p => p.Geometry(s), _ => null };
            if (_stage[i] is ImageLayer il) s = il.OutputShape(s);
        }
        _shapes[^1] = s;
        var needed = _stage.Any(l => l is WindowPool) || Readout is GlobalAvgPool or GlobalSumPool ? CovarianceLayout.Full : CovarianceLayout.Diagonal;
        if (layout == CovarianceLayout.Diagonal && needed == CovarianceLayout.Full)
            throw new ArgumentException($"'{architecture}' pools pixels (avg_pool or global_avg_pool) and needs the full covariance layout, not the diagonal one.");
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

    /// <summary>Cuts a layer tree into the image part (conv, avg_pool, activations), the readout (an implied
    /// flatten when there is none before the first dense layer or the end) and the vector tail.</summary>
    private static (List<Layer> Stage, Layer Readout, Layer? Tail) Split(Architecture architecture, Layer root)
    {
        var stage = new List<Layer>();
        Layer? readout = null;
        var layers = Flat(root).ToList();
        int k = 0;
        for (; k < layers.Count; k++)
        {
            var l = layers[k];
            if (l is ImageLayer { IsReadout: true }) { readout = l; k++; break; }
            if (l is Conv or WindowPool or Activation) { stage.Add(l); continue; }
            if (l is Dense)
            {
                if (stage.Count == 0 || stage.All(s => s is Activation))
                    throw new ArgumentException($"'{architecture}': the first layer on images must be conv (or flatten to treat the image as a vector); dense acts on vectors. Use conv(size=1) for a per-pixel dense layer.");
                break;  // implicit flatten before the first dense layer
            }
            throw new ArgumentException($"'{architecture}': layer '{l}' cannot act on images here; the image part may hold conv, avg_pool, sum_pool and activations, followed by flatten, global_avg_pool or global_sum_pool.");
        }
        readout ??= new Flatten();
        var rest = layers.Skip(k).ToList();
        var bad = rest.FirstOrDefault(ContainsImageLayer);
        if (bad is not null)
            throw new ArgumentException($"'{architecture}': '{bad}' comes after the readout '{readout}'; image layers must come before flatten/global_avg_pool.");
        return (stage, readout, rest.Count == 0 ? null : new Serial(rest));
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
        int c = InputShape.Channels;
        var s = InputShape;
        foreach (var layer in stage)
        {
            switch (layer)
            {
                case Conv conv:
                    int cout = conv.Channels ?? width;
                    parts.Add(new FiniteImageLayers.FiniteConv(conv, conv.Geometry(s), c, cout, rng));
                    c = cout;
                    break;
                case AvgPool pool: parts.Add(new FiniteImageLayers.FiniteAvgPool(pool.Geometry(s), c)); break;
                case SumPool pool: parts.Add(pool.InitializeFinite(s, c)); break;
                default: parts.Add(layer.Initialize(s.Pixels * c, width, rng)); break;
            }
            if (layer is ImageLayer il) s = il.OutputShape(s);
        }
        int pr = s.Pixels;
        parts.Add(readout switch { GlobalAvgPool => new FiniteImageLayers.FiniteGlobalAvgPool(pr, c), GlobalSumPool => GlobalSumPool.InitializeFinite(pr, c), _ => new FiniteImageLayers.FiniteFlatten(pr * c) });
        if (tail is not null) parts.Add(tail.Initialize(parts[^1].OutputWidth, width, rng));
        return new FiniteImageLayers.FiniteChain(parts);
    }

    private int PairsAt(int step) => Layout == CovarianceLayout.Full ? _shapes[step].Pixels * _shapes[step].Pixels : _shapes[step].Pixels;

    private int MaxPairs => Enumerable.Range(0, _shapes.Length).Max(PairsAt);

    /// <summary>
    /// Bytes a kernel computation needs: the outputs, the per-image pixel variances (one P-vector per
    /// activation per image) and, per thread, the state buffers of one row segment of <paramref name="segment"/> columns.
    /// </summary>
    public long MemoryNeeded(int n1, int n2, int kernels, int segment, int threads)
    {
        long outputs = (long)n1 * n2 * kernels * 8;
        long slots = (long)(n1 + n2) * _stage.Where(l => l is Activation).Count() * MaxPixels() * 2 * 8;
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
        using var buffers = new ThreadLocal<Buffers>(() => new Buffers(MaxPairs, segment, InputShape.Features, wantNtk, tail1, tail2));
        TileScheduler.Run(tiles, t => ComputeTile(t, buffers.Value!, x1, x2, self1, self2, nngp, ntk, symmetric),
            $"cntk {n1}×{n2}", options);
        if (symmetric)
        {
            if (nngp is not null) TileScheduler.MirrorUpperToLower(nngp.Data, n1);
            if (ntk is not null) TileScheduler.MirrorUpperToLower(ntk.Data, n1);
        }
        return new KernelResult(nngp, ntk);
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
        var acts = _stage.Select((l, i) => (l, i)).Where(t => t.l is Activation).Select(t => t.i).ToArray();
        var cov = acts.Select(i => new double[_shapes[i].Pixels * n]).ToArray();
        var readout = new double[n];
        try
        {
            System.Threading.Tasks.Parallel.For(0, n, parallel, img =>
            {
                var xs = x.Row(img);
                int C = InputShape.Channels, P = InputShape.Pixels;
                bool full = Layout == CovarianceLayout.Full;
                double[] k;
                if (full)
                {
                    k = new double[P * P];
                    for (int p = 0; p < P; p++)
                        for (int q = 0; q < P; q++)
                        {
                            double s = 0;
                            for (int c = 0; c < C; c++) s += xs[p * C + c] * xs[q * C + c];
                            k[p * P + q] = s / C;
                        }
                }
                else
                {
                    k = new double[P];
                    for (int p = 0; p < P; p++)
                    {
                        double s = 0;
                        for (int c = 0; c < C; c++) s += xs[p * C + c] * xs[p * C + c];
                        k[p] = s / C;
                    }
                }
                int a = 0;
                for (int step = 0; step < _stage.Count; step++)
                {
                    int pin = _shapes[step].Pixels;
                    switch (_stage[step])
                    {
                        case Conv conv:
                        {
                            var g = _geometry[step]!;
                            int po = g.OutPixels, f = g.WindowSize;
                            double w2 = conv.WeightStd * conv.WeightStd / f, b2 = conv.BiasStd * conv.BiasStd;
                            var o = new double[full ? po * po : po];
                            for (int u = 0; u < po; u++)
                            {
                                if (!full)
                                {
                                    double s = 0;
                                    for (int t = 0; t < f; t++) { int ip = g.Index[u * f + t]; if (ip >= 0) s += k[ip]; }
                                    o[u] = w2 * s + b2;
                                    continue;
                                }
                                for (int v = 0; v < po; v++)
                                {
                                    double s = 0;
                                    for (int t = 0; t < f; t++)
                                    {
                                        int ip = g.Index[u * f + t], iq = g.Index[v * f + t];
                                        if (ip >= 0 && iq >= 0) s += k[ip * pin + iq];
                                    }
                                    o[u * po + v] = w2 * s + b2;
                                }
                            }
                            k = o;
                            break;
                        }
                        case WindowPool pool:
                        {
                            var g = _geometry[step]!;
                            int po = g.OutPixels, f = g.WindowSize;
                            var o = new double[po * po];
                            for (int u = 0; u < po; u++)
                                for (int v = 0; v < po; v++)
                                {
                                    double s = 0;
                                    for (int t = 0; t < f; t++)
                                    {
                                        int ip = g.Index[u * f + t];
                                        if (ip < 0) continue;
                                        for (int r = 0; r < f; r++) { int iq = g.Index[v * f + r]; if (iq >= 0) s += k[ip * pin + iq]; }
                                    }
                                    o[u * po + v] = pool.Sums ? s : s / ((double)f * f);
                                }
                            k = o;
                            break;
                        }
                        case Activation phi:
                        {
                            var slot = cov[a++];
                            var variances = new double[pin];
                            for (int p = 0; p < pin; p++) slot[p * n + img] = variances[p] = full ? k[p * pin + p] : k[p];
                            phi.CheckInputVariances(variances);   // a composed activation refuses variances it cannot integrate, before integrating
                            if (!full) { for (int p = 0; p < pin; p++) k[p] = phi.Variance(k[p]); break; }
                            var o = new double[pin * pin];
                            for (int p = 0; p < pin; p++)
                                for (int q = 0; q < pin; q++)
                                    o[p * pin + q] = p == q ? phi.Variance(k[p * pin + p]) : phi.Nngp(k[p * pin + p], k[p * pin + q], k[q * pin + q]);
                            k = o;
                            break;
                        }
                    }
                }
                int pr = _shapes[^1].Pixels;
                double m = 0;
                if (Readout is GlobalAvgPool or GlobalSumPool) { foreach (double v in k) m += v; if (Readout is GlobalAvgPool) m /= (double)pr * pr; }
                else { for (int p = 0; p < pr; p++) m += full ? k[p * pr + p] : k[p]; m /= pr; }
                readout[img] = m;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(inner => inner is NonGaussianInputException) is { } refusal)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refusal);
        }
        var sqrt = cov.Select(c => c.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray()).ToArray();
        return new SelfState(cov, sqrt, readout);
    }

    /// <summary>Per-thread state buffers for one row segment: pixel-pair-major, segment-minor ([pair·len + j]).</summary>
    private sealed class Buffers(int pairs, int segment, int features, bool withNtk, IReadOnlyList<DiagonalSlot> tail1, IReadOnlyList<DiagonalSlot> tail2)
    {
        public double[] A = new double[pairs * segment], B = withNtk ? new double[pairs * segment] : [];
        public double[] A2 = new double[pairs * segment], B2 = withNtk ? new double[pairs * segment] : [];
        public readonly double[] X2T = new double[features * segment];
        public readonly bool WithNtk = withNtk;
        public readonly RowPass Tail = new(tail1, tail2, segment, withNtk);
        private double[] _temp = [];
        public void Swap() { (A, A2) = (A2, A); (B, B2) = (B2, B); }
        public double[] Temp(int size) => _temp.Length >= size ? _temp : _temp = new double[size];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeTile(Tile t, Buffers buf, Matrix x1, Matrix x2, SelfState self1, SelfState self2, Matrix? nngp, Matrix? ntk, bool symmetric)
    {
        int F = InputShape.Features, C = InputShape.Channels, P0 = InputShape.Pixels, n1 = x1.Rows, n2 = x2.Rows;
        int cols = t.Cols;
        // X2 of this tile, feature-major: X2T[f·cols + j].
        for (int j = 0; j < cols; j++)
        {
            var row = x2.Row(t.Col0 + j);
            for (int f = 0; f < F; f++) buf.X2T[f * cols + j] = row[f];
        }
        bool full = Layout == CovarianceLayout.Full;
        for (int i = t.Row0; i < t.Row0 + t.Rows; i++)
        {
            int j0 = symmetric ? Math.Max(t.Col0, i) : t.Col0, j1 = t.Col0 + cols;
            if (j0 >= j1) continue;
            int len = j1 - j0, off = j0 - t.Col0;
            var xi = x1.Row(i);
            // Input state K[p, p'] = Σ_c x1[p, c]·x2[p', c] / C; Θ = 0.
            int pairs = full ? P0 * P0 : P0;
            var A = buf.A;
            for (int u = 0; u < pairs; u++)
            {
                int p = full ? u / P0 : u, q = full ? u % P0 : u;
                var dst = A.AsSpan(u * len, len);
                dst.Clear();
                for (int c = 0; c < C; c++)
                    Axpy(xi[p * C + c] / C, buf.X2T.AsSpan((q * C + c) * cols + off, len), dst);
            }
            if (buf.WithNtk) buf.B.AsSpan(0, pairs * len).Clear();
            int a = 0;
            for (int step = 0; step < _stage.Count; step++)
            {
                int pin = _shapes[step].Pixels;
                switch (_stage[step])
                {
                    case Conv conv: ConvStep(conv, _geometry[step]!, pin, len, buf, full); break;
                    case WindowPool pool: PoolStep(_geometry[step]!, pin, len, buf, sum: pool.Sums); break;
                    case Activation phi:
                    {
                        double[] c1 = self1.Cov[a], r1 = self1.Sqrt[a], c2 = self2.Cov[a], r2 = self2.Sqrt[a];
                        a++;
                        for (int p = 0; p < pin; p++)
                        {
                            double cp = c1[p * n1 + i], sp = r1[p * n1 + i];
                            int qs = full ? 0 : p, qe = full ? pin : p + 1;
                            for (int q = qs; q < qe; q++)
                            {
                                int u = full ? p * pin + q : p;
                                phi.RowKernel(buf.A.AsSpan(u * len, len), buf.WithNtk ? buf.B.AsSpan(u * len, len) : Span<double>.Empty,
                                    cp, sp, c2.AsSpan(q * n2 + j0, len), r2.AsSpan(q * n2 + j0, len));
                            }
                        }
                        break;
                    }
                }
            }
            // Readout.
            int pr = _shapes[^1].Pixels;
            var tail = buf.Tail;
            var outN = tail.Nngp.AsSpan(0, len);
            var outT = buf.WithNtk ? tail.Ntk.AsSpan(0, len) : Span<double>.Empty;
            outN.Clear(); outT.Clear();
            if (Readout is GlobalAvgPool or GlobalSumPool)
            {
                double scale = Readout is GlobalSumPool ? 1 : 1.0 / ((double)pr * pr);
                for (int u = 0; u < pr * pr; u++)
                {
                    Axpy(scale, buf.A.AsSpan(u * len, len), outN);
                    if (buf.WithNtk) Axpy(scale, buf.B.AsSpan(u * len, len), outT);
                }
            }
            else
            {
                double scale = 1.0 / pr;
                for (int p = 0; p < pr; p++)
                {
                    int u = full ? p * pr + p : p;
                    Axpy(scale, buf.A.AsSpan(u * len, len), outN);
                    if (buf.WithNtk) Axpy(scale, buf.B.AsSpan(u * len, len), outT);
                }
            }
            if (_tail is not null)
            {
                tail.I = i; tail.J0 = j0; tail.Len = len; tail.Slot = 0;
                _tail.Row(tail);
            }
            if (nngp is not null) outN.CopyTo(nngp.Data.AsSpan(i * n2 + j0));
            if (ntk is not null) outT.CopyTo(ntk.Data.AsSpan(i * n2 + j0));
        }
    }

    /// <summary>Conv rule: K'[o, o'] = σw²/|F|·Σ_δ K[o+δ, o'+δ] + σb²; Θ' = K' + σw²/|F|·Σ_δ Θ[o+δ, o'+δ].</summary>
    private static void ConvStep(Conv conv, WindowGeometry g, int pin, int len, Buffers buf, bool full)
    {
        int po = g.OutPixels, f = g.WindowSize;
        double w2 = conv.WeightStd * conv.WeightStd / f, b2 = conv.BiasStd * conv.BiasStd;
        int outPairs = full ? po * po : po;
        for (int u = 0; u < outPairs; u++)
        {
            int o1 = full ? u / po : u, o2 = full ? u % po : u;
            var dn = buf.A2.AsSpan(u * len, len);
            var dt = buf.WithNtk ? buf.B2.AsSpan(u * len, len) : Span<double>.Empty;
            dn.Clear(); dt.Clear();
            for (int k = 0; k < f; k++)
            {
                int ip = g.Index[o1 * f + k], iq = g.Index[o2 * f + k];
                if (ip < 0 || iq < 0) continue;
                int src = (full ? ip * pin + iq : ip) * len;
                Add(buf.A.AsSpan(src, len), dn);
                if (buf.WithNtk) Add(buf.B.AsSpan(src, len), dt);
            }
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vw = new Vector<double>(w2); var vb = new Vector<double>(b2);
                for (; j + Vector<double>.Count <= len; j += Vector<double>.Count)
                {
                    var kn = vw * new Vector<double>(dn[j..]) + vb;
                    kn.CopyTo(dn[j..]);
                    if (buf.WithNtk) (kn + vw * new Vector<double>(dt[j..])).CopyTo(dt[j..]);
                }
            }
            for (; j < len; j++)
            {
                double kn = w2 * dn[j] + b2;
                dn[j] = kn;
                if (buf.WithNtk) dt[j] = kn + w2 * dt[j];
            }
        }
        buf.Swap();
    }

    /// <summary>AvgPool rule, separably: pool the second pixel index, then the first (each divided by the window
    /// size; not divided for SumPool, <paramref name="sum"/>).</summary>
    private static void PoolStep(WindowGeometry g, int pin, int len, Buffers buf, bool sum = false)
    {
        int po = g.OutPixels, f = g.WindowSize;
        double inv = sum ? 1 : 1.0 / f;
        foreach (bool ntkPart in buf.WithNtk ? new[] { false, true } : [false])
        {
            var src = ntkPart ? buf.B : buf.A;
            var dst = ntkPart ? buf.B2 : buf.A2;
            // T[p, v] = (1/f)·Σ_r K[p, idx(v, r)], stored in dst (pin·po ≤ pin² pairs).
            var tmp = buf.Temp(pin * po * len);
            tmp.AsSpan(0, pin * po * len).Clear();
            for (int p = 0; p < pin; p++)
                for (int v = 0; v < po; v++)
                {
                    var d = tmp.AsSpan((p * po + v) * len, len);
                    for (int r = 0; r < f; r++) { int iq = g.Index[v * f + r]; if (iq >= 0) Axpy(inv, src.AsSpan((p * pin + iq) * len, len), d); }
                }
            for (int u = 0; u < po; u++)
                for (int v = 0; v < po; v++)
                {
                    var d = dst.AsSpan((u * po + v) * len, len);
                    d.Clear();
                    for (int t = 0; t < f; t++) { int ip = g.Index[u * f + t]; if (ip >= 0) Axpy(inv, tmp.AsSpan((ip * po + v) * len, len), d); }
                }
        }
        buf.Swap();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ReadOnlySpan<double> x, Span<double> y)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            for (; j + Vector<double>.Count <= x.Length; j += Vector<double>.Count)
                (new Vector<double>(x[j..]) + new Vector<double>(y[j..])).CopyTo(y[j..]);
        }
        for (; j < x.Length; j++) y[j] += x[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var va = new Vector<double>(a);
            for (; j + Vector<double>.Count <= x.Length; j += Vector<double>.Count)
                (va * new Vector<double>(x[j..]) + new Vector<double>(y[j..])).CopyTo(y[j..]);
        }
        for (; j < x.Length; j++) y[j] += a * x[j];
    }
}
