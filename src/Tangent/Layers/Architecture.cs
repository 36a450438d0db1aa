using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// A network architecture: a stack of layers with its infinite-width kernels
/// (<see cref="ComputeKernels(Matrix, Matrix, KernelOutputs, ComputeOptions)"/>) and its finite-width twin (<see cref="Initialize"/>). Built from C#
/// (<c>new Architecture(new Dense(1.5, 0.1), ABRelu.Relu(), new Dense(1.5))</c>) or from the spec
/// text (<see cref="Parse"/>, docs/LAYERS.md); <see cref="ToString"/> prints the spec back.
/// Construction checks, before any computation, that every activation is fed a Gaussian
/// pre-activation, rewriting what has an exact rule (docs/LAYERS.md, "Gaussian pre-activations").
/// </summary>
public sealed class Architecture
{
    /// <summary>Wraps a layer (usually a <see cref="Serial"/>).</summary>
    /// <exception cref="NonGaussianInputException">An activation is fed something that is not a Gaussian
    /// pre-activation (the raw input; the output of an activation through pooling or a sum; an activation
    /// right after another one when their composition has no exact or accurate rule). The message names the
    /// layer (spec text, 1-based position) and the fix.</exception>
    /// <exception cref="ArgumentException">Image layers placed where the convolutional engine cannot take them: a vector
    /// layer (dropout, layer_norm, …) between image layers, an image layer after the readout or inside parallel
    /// branches, a dense layer before any conv.</exception>
    public Architecture(Layer root)
    {
        Root = root ?? throw new ArgumentNullException(nameof(root));
        Execution = GaussianInputs.Plan(root);
        if (HasImageLayers) ConvolutionalKernel.CheckStructure(this);   // a vector layer in the image part is refused here, not at compute time
    }

    /// <summary>Serial composition of <paramref name="layers"/>.</summary>
    /// <exception cref="NonGaussianInputException">As for <see cref="Architecture(Layer)"/>.</exception>
    public Architecture(params Layer[] layers) : this(new Serial(layers)) { }

    /// <summary>The root layer, as written (<see cref="ToString"/> prints it; the finite twin follows it).</summary>
    public Layer Root { get; }

    /// <summary>
    /// The tree the kernels are computed with: <see cref="Root"/> itself, or an equivalent rewrite where an
    /// activation follows a non-Gaussian signal with an exact rule: consecutive activations composed into
    /// one, an activation after concat moved into every branch, an activation after flatten moved before it.
    /// </summary>
    internal Layer Execution { get; }

    /// <summary>The image shape H×W×C of the inputs when the architecture has image layers (conv, pooling); null for vectors.</summary>
    public ImageShape? InputShape { get; init; }

    /// <summary>True when the architecture has image layers (conv, pooling, flatten): its kernels need <see cref="InputShape"/>.</summary>
    public bool HasImageLayers => ConvolutionalKernel.HasImageLayers(Root);

    /// <summary>This architecture on images of the given shape (its kernels then go through <see cref="ConvolutionalKernel"/>).</summary>
    public Architecture WithInputShape(ImageShape shape) => new(Root) { InputShape = shape };

    /// <summary>True when the NTK is defined (no sign activation).</summary>
    public bool HasNtk => Root.HasNtk;

    /// <summary>
    /// The number of parametrised layers (dense, conv, conv_transpose) of the network unrolled: repeats multiplied out,
    /// every branch counted. <see cref="FreezeBottom"/> counts in the same order.
    /// </summary>
    public int ParametrisedLayerCount => Parametrised(Root);

    /// <summary>
    /// This architecture with its first <paramref name="count"/> parametrised layers frozen (fixed at initialisation,
    /// not trained: Arora et al. 2020; docs/LAYERS.md, "Frozen layers"). Layers are counted in the order the network
    /// applies them, unrolled: inside a repeat's body copy by copy (a repeat only partly frozen is split into its frozen
    /// copies, one partly frozen copy and the rest), parallel/concat/product branches one after the other as written.
    /// Layers already frozen count and stay frozen; 0 returns this architecture. The input shape is kept.
    /// </summary>
    /// <param name="count">0 ≤ count ≤ <see cref="ParametrisedLayerCount"/>; freezing all of them leaves nothing to
    /// train (the NTK is then 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">count &lt; 0 or above <see cref="ParametrisedLayerCount"/>.</exception>
    public Architecture FreezeBottom(int count)
    {
        int total = ParametrisedLayerCount;
        if (count < 0 || count > total)
            throw new ArgumentOutOfRangeException(nameof(count), $"Cannot freeze the first {count} parametrised layers of '{this}': it has {total} (dense, conv); give 0..{total}.");
        if (count == 0) return this;
        int left = count;
        var root = Single(Freeze(Root, ref left));
        return new Architecture(root) { InputShape = InputShape };
    }

    /// <summary>
    /// The count n of the architecture's first repeat(n){…}: the outermost one (fewest braces around it), the leftmost
    /// among those; null when it has none. <see cref="WithFirstRepeatCount"/> sets it (a depth in model selection).
    /// </summary>
    public int? FirstRepeatCount => FirstRepeat(Root)?.Count;

    /// <summary>This architecture with the count of its first repeat (<see cref="FirstRepeatCount"/>) set to
    /// <paramref name="count"/>; the input shape is kept.</summary>
    /// <exception cref="ArgumentOutOfRangeException">count &lt; 1.</exception>
    /// <exception cref="ArgumentException">The architecture has no repeat(n){…}.</exception>
    public Architecture WithFirstRepeatCount(int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), $"A repeat count must be ≥ 1, got {count}.");
        var target = FirstRepeat(Root) ?? throw new ArgumentException(
            $"'{this}' has no repeat(n){{…}} whose count could be set; write the repeated block as one, e.g. dense(w=1.41) repeat(2){{relu dense(w=1.41)}}.");
        if (target.Count == count) return this;
        return new Architecture(Replace(Root, target, new Repeat(count, target.Body))) { InputShape = InputShape };
    }

    /// <summary>The repeat with the fewest enclosing layers, the leftmost among those (breadth first).</summary>
    private static Repeat? FirstRepeat(Layer root)
    {
        var level = new List<Layer> { root };
        while (level.Count > 0)
        {
            if (level.OfType<Repeat>().FirstOrDefault() is { } found) return found;
            level = [.. level.SelectMany(Children)];
        }
        return null;
    }

    private static IEnumerable<Layer> Children(Layer layer) => layer switch
    {
        Serial s => s.Layers,
        Repeat r => [r.Body],
        ParallelBranches p => p.Branches,
        ProductFanIn p => p.Branches,
        _ => [],
    };

    /// <summary>The tree with the node <paramref name="target"/> (by reference) replaced.</summary>
    private static Layer Replace(Layer layer, Layer target, Layer replacement)
    {
        if (ReferenceEquals(layer, target)) return replacement;
        return layer switch
        {
            Serial s => new Serial(s.Layers.Select(l => Replace(l, target, replacement))),
            Repeat r => new Repeat(r.Count, Replace(r.Body, target, replacement)),
            ParallelBranches p => new ParallelBranches(p.FanIn, p.Branches.Select(b => Replace(b, target, replacement))),
            ProductFanIn p => new ProductFanIn(p.Branches.Select(b => Replace(b, target, replacement))),
            _ => layer,
        };
    }

    private static int Parametrised(Layer layer) => layer switch
    {
        Dense or Conv => 1,
        Serial s => s.Layers.Sum(Parametrised),
        Repeat r => checked(r.Count * Parametrised(r.Body)),
        ParallelBranches p => p.Branches.Sum(Parametrised),
        ProductFanIn p => p.Branches.Sum(Parametrised),
        _ => 0,
    };

    private static Layer Single(List<Layer> items) => items.Count == 1 ? items[0] : new Serial(items);

    /// <summary>The layer with its first <paramref name="left"/> parametrised layers frozen (decremented by those it
    /// froze), as items to splice into a serial sequence (a partly frozen repeat becomes several).</summary>
    private static List<Layer> Freeze(Layer layer, ref int left)
    {
        if (left == 0) return [layer];
        switch (layer)
        {
            case Dense d: left--; return [d.WithFrozen(true)];
            case Conv c: left--; return [c.WithFrozen(true)];
            case Serial s:
            {
                var items = new List<Layer>();
                foreach (var l in s.Layers)
                {
                    var part = Freeze(l, ref left);
                    if (l is Serial) { items.Add(Single(part)); continue; }   // a nested group stays a group
                    foreach (var x in part) { if (x is Serial body) items.AddRange(body.Layers); else items.Add(x); }   // a split repeat's copies are spliced in
                }
                return [new Serial(items)];
            }
            case Repeat r:
            {
                int per = Parametrised(r.Body);
                if (per == 0) return [r];
                int whole = Math.Min(r.Count, left / per);
                var items = new List<Layer>();
                if (whole > 0)
                {
                    int all = per;
                    var frozen = Single(Freeze(r.Body, ref all));
                    items.Add(whole == 1 ? frozen : new Repeat(whole, frozen));
                    left -= whole * per;
                }
                int rest = r.Count - whole;
                if (rest > 0 && left > 0)
                {
                    items.Add(Single(Freeze(r.Body, ref left)));   // the copy frozen only in part
                    rest--;
                }
                if (rest > 0) items.Add(rest == 1 ? r.Body : new Repeat(rest, r.Body));
                return items;
            }
            case ParallelBranches p:
            {
                var branches = new List<Layer>();
                foreach (var b in p.Branches) branches.Add(Single(Freeze(b, ref left)));
                return [new ParallelBranches(p.FanIn, branches)];
            }
            case ProductFanIn p:
            {
                var branches = new List<Layer>();
                foreach (var b in p.Branches) branches.Add(Single(Freeze(b, ref left)));
                return [new ProductFanIn(branches)];
            }
            default:
                return [layer];
        }
    }

    /// <summary>Parses the architecture spec language (docs/LAYERS.md).</summary>
    /// <exception cref="FormatException">A syntax error, with the column and a caret line.</exception>
    /// <exception cref="NonGaussianInputException">As for <see cref="Architecture(Layer)"/>.</exception>
    public static Architecture Parse(string spec) => new(SpecParser.Parse(spec));

    /// <summary>
    /// Parses the spec language into a layer tree without the architecture's checks, e.g. one activation
    /// given alone (<c>ParseLayer("erf(b=2)")</c>, as <c>tangent criticality --act</c> takes it), which as an
    /// architecture would be an activation of the raw input.
    /// </summary>
    /// <exception cref="FormatException">A syntax error, with the column and a caret line.</exception>
    public static Layer ParseLayer(string spec) => SpecParser.Parse(spec);

    /// <summary>The spec text; <see cref="Parse"/> reads it back to an equal architecture.</summary>
    public override string ToString() => Root.ToString();

    /// <summary>The kernel state of one pair of inputs after the whole network (the plain recursion, no tiling);
    /// for image layers the per-pair image recursion of <see cref="ConvolutionalKernel.Kernel"/> on <see cref="InputShape"/>.</summary>
    /// <exception cref="InvalidOperationException">Image layers without <see cref="InputShape"/>.</exception>
    public KernelState Kernel(ReadOnlySpan<double> x1, ReadOnlySpan<double> x2) =>
        HasImageLayers ? new ConvolutionalKernel(this, RequireShape()).Kernel(x1, x2) : Execution.Apply(KernelState.FromInputs(x1, x2));

    /// <summary>The finite-width network of the given width (docs/MATH.md §3); with image layers, the finite CNN on <see cref="InputShape"/>.</summary>
    /// <exception cref="InvalidOperationException">Image layers without <see cref="InputShape"/>.</exception>
    public FiniteLayer Initialize(int inputWidth, int width, Random rng) =>
        HasImageLayers ? new ConvolutionalKernel(this, RequireShape()).Initialize(width, rng) : Root.Initialize(inputWidth, width, rng);

    private ImageShape RequireShape() => InputShape ?? throw new InvalidOperationException(
        $"'{this}' has image layers: give the image shape with Architecture.WithInputShape(new ImageShape(H, W, C)) (--image-shape HxWxC on the command line).");

    /// <summary>
    /// The NNGP and/or NTK matrices K(X1, X2) (n1×n2, float64). Pass <paramref name="x2"/> = null for
    /// K(X1, X1), computed as its upper triangle and mirrored. Memory: the outputs plus per-thread
    /// tile buffers and the per-layer diagonals (O(n·layers)); no n×n temporaries. Work per tile
    /// (<see cref="TileScheduler"/>, in parallel): its block of X1·X2ᵀ/d by GEMM, then the whole layer
    /// stack fused per row segment; in the symmetric case only tiles on or above the diagonal.
    /// </summary>
    /// <param name="x1">n1×d inputs, a row per sample.</param>
    /// <param name="x2">n2×d inputs, or null for x1.</param>
    /// <param name="outputs">Which matrices to compute.</param>
    /// <param name="progress">Progress in kernel entries.</param>
    /// <param name="cancellationToken">Stops between tiles.</param>
    /// <param name="tileSize">Tile edge (default <see cref="TileScheduler.DefaultTileSize"/>).</param>
    /// <param name="provider">Linear-algebra provider for the GEMM (default: <see cref="LinearAlgebra.Provider"/>).</param>
    /// <exception cref="ArgumentException">Column counts differ, an input is NaN or infinite, or no outputs asked for.</exception>
    /// <exception cref="NotSupportedException">NTK asked for an architecture with sign.</exception>
    /// <exception cref="InvalidOperationException">A 'standard' layer whose input width is unknown.</exception>
    public KernelResult ComputeKernels(Matrix x1, Matrix? x2 = null, KernelOutputs outputs = KernelOutputs.Both,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default,
        int tileSize = TileScheduler.DefaultTileSize, ILinearAlgebraProvider? provider = null)
    {
        if (tileSize is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(tileSize), $"The tile size must be in 1..4096 (each thread holds a tileSize² buffer), got {tileSize}; {TileScheduler.DefaultTileSize} is a good default.");
        return ComputeKernels(x1, x2, outputs, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken, TileSize = tileSize, Provider = provider });
    }

    /// <summary>
    /// The NNGP and/or NTK matrices K(X1, X2), computed as the other overload describes, with every
    /// setting from <paramref name="options"/>: the provider for the GEMMs, the tile size (dense networks:
    /// default <see cref="TileScheduler.DefaultTileSize"/>, at most 4096), the memory budget, the thread limit,
    /// progress and cancellation. Networks with image layers go to the convolutional engine with the same options.
    /// </summary>
    /// <param name="x1">n1×d inputs, a row per sample.</param>
    /// <param name="x2">n2×d inputs, or null for x1.</param>
    /// <param name="outputs">Which matrices to compute.</param>
    /// <param name="options">How to compute; <see cref="ComputeOptions.Default"/> for the process defaults.</param>
    /// <exception cref="ArgumentException">Column counts differ, an input is NaN or infinite, or no outputs asked for.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A tile size above 4096 for a dense network.</exception>
    /// <exception cref="NotSupportedException">NTK asked for an architecture with sign.</exception>
    /// <exception cref="InvalidOperationException">A 'standard' layer whose input width is unknown.</exception>
    /// <exception cref="InsufficientMemoryException">The outputs and buffers exceed the memory budget or the memory available.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public KernelResult ComputeKernels(Matrix x1, Matrix? x2, KernelOutputs outputs, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(options);
        if (HasImageLayers)  // conv/pooling layers: the convolutional engine (a dense-only network sees images as flat vectors)
        {
            var images = new ConvolutionalKernel(this, RequireShape()).Compute(x1, x2, outputs, options);
            KernelOverflow.ThrowIfOverflowed(this, x1, x2 is null || ReferenceEquals(x1, x2) ? null : x2, images);   // a scan is cheap beside the per-entry cost
            return images;
        }
        bool symmetric = x2 is null || ReferenceEquals(x1, x2);
        x2 ??= x1;
        if (x1.Cols != x2.Cols)
            throw new ArgumentException($"X1 is {x1.Shape} and X2 is {x2.Shape}: both must have the same number of columns (features).");
        if (x1.Cols == 0) throw new ArgumentException("Inputs have 0 columns; the input dimension d must be at least 1.");
        if ((outputs & KernelOutputs.Both) == 0) throw new ArgumentException("Ask for at least one of Nngp and Ntk.", nameof(outputs));
        bool wantNngp = outputs.HasFlag(KernelOutputs.Nngp), wantNtk = outputs.HasFlag(KernelOutputs.Ntk);
        if (wantNtk && !HasNtk) throw Sign.NoNtk();
        int tileSize = options.TileSize ?? TileScheduler.DefaultTileSize;
        if (tileSize > 4096)
            throw new ArgumentOutOfRangeException(nameof(options), $"The tile size must be in 1..4096 (each thread holds a tileSize² buffer), got {tileSize}; {TileScheduler.DefaultTileSize} is a good default.");
        RequireFinite(x1, "X1");
        if (!symmetric) RequireFinite(x2, "X2");

        int n1 = x1.Rows, n2 = x2.Rows;
        bool single = options.Precision == Precision.Float32;
        var slots1 = single ? null : Diagonals(x1);
        var slots2 = single ? null : symmetric ? slots1 : Diagonals(x2);

        int kernels = (wantNngp ? 1 : 0) + (wantNtk ? 1 : 0);
        long perThread = ((long)tileSize * tileSize + 2L * tileSize) * sizeof(double);   // a RowPass: the tile's Gram block and two row buffers
        long singleInputs = single ? ((long)n1 + (symmetric ? 0 : n2)) * (x1.Cols * sizeof(float) + sizeof(double)) : 0;   // the float32 rows and their scales
        options.RequireMemory(checked((long)n1 * n2 * kernels * sizeof(double) + options.Threads * perThread + singleInputs), $"the {(kernels == 2 ? "NNGP and NTK matrices" : wantNngp ? "NNGP matrix" : "NTK matrix")} of {n1}×{n2} inputs",
            "use fewer samples, ask for one kernel only, or compute the kernel in blocks of rows");
        SingleRows? rows1 = null, rows2 = null;
        if (single)
        {
            // float32 Gram (docs/PRECISION.md): the diagonals come from the same float32 rows by the same sums, so an exact
            // duplicate's Gram entry equals its variances and its correlation is 1, as in float64.
            rows1 = new SingleRows(x1);
            rows2 = symmetric ? rows1 : new SingleRows(x2);
            slots1 = DiagonalPassOver(rows1.Variances(), x1.Cols).Slots;
            slots2 = symmetric ? slots1 : DiagonalPassOver(rows2.Variances(), x2.Cols).Slots;
        }
        var nngp = wantNngp ? new Matrix(n1, n2) : null;
        var ntk = wantNtk ? new Matrix(n1, n2) : null;
        if (nngp is not null) HugePages.Advise(nngp.Data);
        if (ntk is not null) HugePages.Advise(ntk.Data);
        var p = options.ProviderOrDefault;
        var job = new TileJob(this, x1, x2, nngp, ntk, symmetric, p) { Rows1 = rows1, Rows2 = rows2 };
        var tiles = TileScheduler.Plan(n1, n2, symmetric, tileSize, tileSize);
        using var buffers = new ThreadLocal<RowPass>(() => new RowPass(slots1!, slots2!, tileSize, wantNtk));
        TileScheduler.Run(tiles, t => job.Compute(t, buffers.Value!), $"kernel {n1}×{n2}", options);
        var result = new KernelResult(nngp, ntk);
        if (job.SawNonFinite) KernelOverflow.ThrowIfOverflowed(this, x1, symmetric ? null : x2, result);   // never a NaN/∞ kernel returned silently
        return result;
    }

    /// <summary>The work of one kernel computation, cut into tiles.</summary>
    private sealed class TileJob(Architecture arch, Matrix x1, Matrix x2, Matrix? nngp, Matrix? ntk, bool symmetric, ILinearAlgebraProvider provider)
    {
        private readonly int _n2 = x2.Rows, _d = x1.Cols;
        private volatile bool _sawNonFinite;

        /// <summary>With <see cref="Precision.Float32"/>: the float32 rows of X1 and X2 (the Gram is computed from them); null for float64.</summary>
        public SingleRows? Rows1 { get; init; }

        /// <summary>The float32 rows of X2 (the same object as <see cref="Rows1"/> in the symmetric case).</summary>
        public SingleRows? Rows2 { get; init; }

        /// <summary>True when some computed entry was NaN or infinite (checked per row while it is in cache).</summary>
        public bool SawNonFinite => _sawNonFinite;

        /// <summary>
        /// One tile: its block of X1·X2ᵀ/d by GEMM into a per-thread buffer, then per row segment the
        /// whole layer stack in place (state in L1-resident row buffers), stored into the outputs; in the
        /// symmetric case only entries on or above the diagonal, then mirrored block-wise.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Compute(Tile t, RowPass pass)
        {
            int d = _d, n2 = _n2;
            var gram = pass.Tile;
            if (Rows1 is { } r1 && Rows2 is { } r2) r1.Gram(t.Row0, t.Rows, r2, t.Col0, t.Cols, gram);
            else
                provider.Gemm(Op.None, Op.Transpose, t.Rows, t.Cols, d, 1.0 / d,
                    x1.Data.AsSpan(t.Row0 * d, t.Rows * d), d, x2.Data.AsSpan(t.Col0 * d, t.Cols * d), d, 0, gram, t.Cols);
            for (int i = t.Row0; i < t.Row0 + t.Rows; i++)
            {
                int j0 = symmetric ? Math.Max(t.Col0, i) : t.Col0, j1 = t.Col0 + t.Cols;
                if (j0 >= j1) continue;
                pass.I = i; pass.J0 = j0; pass.Len = j1 - j0; pass.Slot = 0;
                gram.AsSpan((i - t.Row0) * t.Cols + (j0 - t.Col0), pass.Len).CopyTo(pass.Nngp);
                if (pass.WithNtk) pass.NtkRow.Clear();
                arch.Execution.Row(pass);
                if (nngp is not null) pass.NngpRow.CopyTo(nngp.Data.AsSpan(i * n2 + j0));
                if (ntk is not null) pass.NtkRow.CopyTo(ntk.Data.AsSpan(i * n2 + j0));
                if (!_sawNonFinite && !(TensorPrimitives.IsFiniteAll<double>(pass.NngpRow) && TensorPrimitives.IsFiniteAll<double>(pass.NtkRow))) _sawNonFinite = true;
            }
            if (symmetric)
            {
                if (nngp is not null) TileScheduler.MirrorTile(nngp.Data, n2, t);
                if (ntk is not null) TileScheduler.MirrorTile(ntk.Data, n2, t);
            }
        }
    }

    private static void RequireFinite(Matrix x, string name) => Kernels.KernelInputs.RequireFinite(x, name);

    /// <summary>
    /// The diagonal of the NNGP, K(x, x) for each row of <paramref name="x"/> (the prior variance of
    /// the network's output), without forming any matrix: O(n·d + n·layers) for fully connected
    /// architectures; image architectures take one single-image kernel per row.
    /// </summary>
    public double[] NngpDiagonal(Matrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (HasImageLayers)
        {
            var d = new double[x.Rows];
            for (int i = 0; i < x.Rows; i++) d[i] = ComputeKernels(x.SliceRows(i, 1), null, KernelOutputs.Nngp).Nngp[0, 0];
            return d;
        }
        if (x.Cols == 0) throw new ArgumentException("Inputs have 0 columns; the input dimension d must be at least 1.");
        RequireFinite(x, "X");
        return DiagonalPassOver(x).Cov;
    }

    /// <summary>The per-layer diagonals of one input set, computed once (O(n·d + n·layers)).</summary>
    internal IReadOnlyList<DiagonalSlot> Diagonals(Matrix x) => DiagonalPassOver(x).Slots;

    /// <summary>Runs the diagonal pass from the input variances ‖x‖²/d: afterwards <c>Cov</c> holds the
    /// output variances and <c>Slots</c> every layer's input diagonal.</summary>
    private DiagonalPass DiagonalPassOver(Matrix x)
    {
        var cov = new double[x.Rows];
        for (int i = 0; i < x.Rows; i++)
        {
            double s = 0;
            foreach (double v in x.Row(i)) s += v * v;
            cov[i] = s / x.Cols;
        }
        return DiagonalPassOver(cov, x.Cols);
    }

    /// <summary>The diagonal pass from given input variances (overwritten with the output variances).</summary>
    private DiagonalPass DiagonalPassOver(double[] cov, int d)
    {
        var pass = new DiagonalPass(cov, d);
        Execution.Diagonal(pass);
        return pass;
    }

    /// <summary>
    /// The inputs of a float32 Gram (<see cref="Precision.Float32"/>, docs/PRECISION.md): each row divided by a power of two
    /// and rounded to float32 (<see cref="SingleGram.RoundRows"/>). Entry (i, j) of X1·X2ᵀ/d is then
    /// (dot32(f1ᵢ, f2ⱼ)/d)·s1ᵢ·s2ⱼ, and the variance of row i is the same expression with j = i.
    /// </summary>
    internal sealed class SingleRows
    {
        private readonly float[] _rows;
        private readonly double[] _scales;
        private readonly int _d;

        /// <summary>Rounds the rows of <paramref name="x"/>.</summary>
        public SingleRows(Matrix x)
        {
            _d = x.Cols;
            _rows = SingleGram.RoundRows(x, out _scales);
        }

        /// <summary>‖x‖²/d of every row, computed as the Gram's diagonal entries are.</summary>
        public double[] Variances()
        {
            var v = new double[_scales.Length];
            for (int i = 0; i < v.Length; i++)
            {
                var r = _rows.AsSpan(i * _d, _d);
                v[i] = SingleGram.Dot(r, r, 1.0 / _d) * _scales[i] * _scales[i];
            }
            return v;
        }

        /// <summary>The block [row0, row0 + rows) × [col0, col0 + cols) of this·otherᵀ/d into <paramref name="into"/> (row-major, rows×cols).</summary>
        public void Gram(int row0, int rows, SingleRows other, int col0, int cols, Span<double> into)
        {
            int d = _d;
            SingleGram.MultiplyTransposed(_rows.AsSpan(row0 * d, rows * d), rows, other._rows.AsSpan(col0 * d, cols * d), cols, d, 1.0 / d, into, cols);
            for (int i = 0; i < rows; i++)
            {
                double si = _scales[row0 + i];
                var ci = into.Slice(i * cols, cols);
                for (int j = 0; j < cols; j++) ci[j] = ci[j] * si * other._scales[col0 + j];
            }
        }
    }
}
