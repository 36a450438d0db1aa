using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tangent.Layers;

/// <summary>
/// The convolutional kernel one image pair at a time, vectorised over pixels (docs/CONVOLUTION.md, "The pair
/// engine"; docs/PERFORMANCE.md, "CNTK"). The state of a pair is its pixel-pair covariance (P values on the
/// diagonal layout, P² on the full one, the second pixel index innermost), so a convolution is a sum of shifted
/// contiguous runs per filter tap (<see cref="Runs"/>) and an activation a loop over contiguous pixels with the two
/// images' pixel variances side by side. On the diagonal layout the whole state of a pair lies in the first-level
/// cache (4·P values); on the full layout each output row is summed and mapped by the activation while it is there,
/// and the rows of one pair are shared among the cores when a pair is large (every core busy for any number of images).
/// </summary>
/// <remarks>
/// Supported: stages of convolutions (any size, stride, padding, conv_transpose, frozen) and elementwise activations,
/// then flatten, global_avg_pool or global_sum_pool; other stages (window pooling) use the tile engine of
/// <see cref="ConvolutionalKernel"/>. The arithmetic of a pair is generic in <typeparamref name="T"/>: double, or
/// float for <see cref="Tangent.Engine.Precision.Float32"/> (the per-image variances, their roots and the input
/// covariance are formed in double and rounded once; docs/PRECISION.md gives the accuracy).
/// </remarks>
internal sealed class PairEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Step[] _steps;
    private readonly ImageLayer _readout;
    private readonly ImageShape _input, _last;   // input shape, and the shape coming into the readout
    private readonly bool _full;
    private readonly Frame? _frame;   // the padded frame, when every convolution is a stride-1 shift stencil
    private readonly int[][]? _offsets;   // per step (framed): each contributing tap's offset in the state
    private readonly (int[] Across, int[] Down, bool Rolling3)?[]? _separable;   // per step (framed, diagonal layout): the taps as a product of column and row offsets
    private readonly double _sumWeight;   // framed, a readout that weighs every entry of its state alike: that weight; else NaN

    /// <summary>One stage: a convolution (with the activation that follows it fused in, if any) or an activation alone;
    /// Shifts: each contributing tap's (dy, dx) shift from output to input pixel (null unless a stride-1 shift stencil);
    /// Out: the image shape after the step.</summary>
    private sealed record Step(Conv? Conv, WindowGeometry? Geometry, Run[][]? Runs, Activation? Activation, int Slot, int PixelsIn, int PixelsOut,
        (int Dy, int Dx)[]? Shifts, ImageShape Out);

    /// <summary>A run of consecutive output pixels [Dst, Dst + Length) that read consecutive input pixels from Src for one tap.</summary>
    internal readonly record struct Run(int Dst, int Src, int Length);

    private PairEngine(Step[] steps, ImageLayer readout, ImageShape input, ImageShape last, bool full)
    {
        _steps = steps; _readout = readout; _input = input; _last = last; _full = full;
        _frame = Frame.TryCreate(input, steps);
        _sumWeight = double.NaN;
        if (_frame is { } f)
        {
            _offsets = [.. steps.Select(st => st.Shifts is { } sh ? sh.Select(x => full ? f.Offset(x) * (f.Stride + 1) : f.Offset(x)).ToArray() : [])];
            if (!full) _separable = [.. steps.Select(st => Separate(st.Shifts, f))];
            if (full ? readout is GlobalAvgPool or GlobalSumPool : readout is Flatten)
            {
                // The weight of one entry, from the readout's own rule on a state of ones (1/P for flatten, 1/P² for the average pool).
                var ones = new double[Pairs(last.Pixels)];
                Array.Fill(ones, 1.0);
                Span<double> o = stackalloc double[1];
                readout.ReduceOne(ones, last.Pixels, full, o);
                _sumWeight = o[0] / ones.Length;
            }
        }
    }

    /// <summary>The largest state (values per buffer) of a pair.</summary>
    public int MaxPairs => _frame is { } f
        ? (_full ? f.Pixels * f.Stride : f.Stride)
        : _steps.Select(s => Pairs(Math.Max(s.PixelsIn, s.PixelsOut))).Append(Pairs(_input.Pixels)).Max();

    /// <summary>True when the states lie in a zero-padded frame and each convolution is one fused stencil (stride-1 convolutions).</summary>
    internal bool Framed => _frame is not null;

    /// <summary>Values per image of the per-image arrays (<see cref="Images"/>), all activation slots together.</summary>
    public long ImageValues(IReadOnlyList<int> slotPixels) => _frame is { } f ? (long)f.Stride * slotPixels.Count : slotPixels.Sum(p => (long)p);

    /// <summary>True for the full layout.</summary>
    public bool Full => _full;

    private int Pairs(int pixels) => _full ? pixels * pixels : pixels;

    /// <summary>The engine for the image stage (the readout last), or null when a stage is not a convolution, an
    /// activation or (last) flatten / global_avg_pool / global_sum_pool.</summary>
    public static PairEngine<T>? TryCreate(IReadOnlyList<Layer> stage, IReadOnlyList<ImageShape> shapes, IReadOnlyList<WindowGeometry?> geometry, CovarianceLayout layout)
    {
        if (stage[^1] is not (Flatten or GlobalAvgPool or GlobalSumPool)) return null;
        var steps = new List<Step>();
        int slot = 0;
        for (int s = 0; s < stage.Count - 1; s++)
        {
            switch (stage[s])
            {
                case Conv conv:
                    var g = geometry[s]!;
                    Activation? next = s + 1 < stage.Count - 1 && stage[s + 1] is Activation a and not Identity ? a : null;
                    steps.Add(new Step(conv, g, Runs(g), next, next is null ? -1 : slot, shapes[s].Pixels, g.OutPixels, Shifts(g), shapes[s + 1]));
                    if (next is not null) { slot++; s++; }
                    break;
                case Activation act:
                    steps.Add(new Step(null, null, null, act, slot++, shapes[s].Pixels, shapes[s].Pixels, null, shapes[s]));
                    break;
                default:
                    return null;
            }
        }
        return new PairEngine<T>([.. steps], (ImageLayer)stage[^1], shapes[0], shapes[stage.Count - 1], layout == CovarianceLayout.Full);
    }

    /// <summary>For each tap, the runs of output pixels whose input pixel for that tap is valid and advances by one with the output.</summary>
    internal static Run[][] Runs(WindowGeometry g)
    {
        int po = g.OutPixels, f = g.WindowSize;
        var runs = new Run[f][];
        var list = new List<Run>();
        for (int tap = 0; tap < f; tap++)
        {
            list.Clear();
            int o = 0;
            while (o < po)
            {
                int src = g.Index[o * f + tap];
                if (src < 0) { o++; continue; }
                int start = o;
                while (o + 1 < po && g.Index[(o + 1) * f + tap] == src + (o + 1 - start)) o++;
                list.Add(new Run(start, src, o - start + 1));
                o++;
            }
            runs[tap] = [.. list];
        }
        return runs;
    }

    /// <summary>
    /// Each tap's shift (dy, dx) from output pixel to input pixel when the geometry is a stride-1 shift stencil: output
    /// (y, x) reads input (y + dy, x + dx) under that tap when it lies in the image and nothing (zero padding) otherwise,
    /// checked against every entry of the geometry; null otherwise (strides, transposes, circular padding). A tap that
    /// never reads the image gets no shift and is left out.
    /// </summary>
    internal static (int Dy, int Dx)[]? Shifts(WindowGeometry g)
    {
        int f = g.WindowSize, ow = g.OutWidth, w = g.InWidth, h = g.InHeight;
        var shifts = new (int Dy, int Dx)?[f];
        for (int tap = 0; tap < f; tap++)
            for (int o = 0; o < g.OutPixels; o++)
            {
                int src = g.Index[o * f + tap];
                if (src < 0) continue;
                shifts[tap] = (src / w - o / ow, src % w - o % ow);
                break;
            }
        for (int o = 0; o < g.OutPixels; o++)
            for (int tap = 0; tap < f; tap++)
            {
                int expected = -1;
                if (shifts[tap] is var (dy, dx))
                {
                    int y = o / ow + dy, x = o % ow + dx;
                    if (y >= 0 && y < h && x >= 0 && x < w) expected = y * w + x;
                }
                if (g.Index[o * f + tap] != expected) return null;
            }
        return [.. shifts.Where(v => v.HasValue).Select(v => v!.Value)];
    }

    /// <summary>The taps as the product {dx} × {dy} (column offsets, row offsets in the frame) when every pair of a
    /// column shift and a row shift is a tap (a rectangular window), and whether that window is the 3×3 same-padded one
    /// that <see cref="RollingStencil3"/> takes; else null.</summary>
    private static (int[] Across, int[] Down, bool Rolling3)? Separate((int Dy, int Dx)[]? shifts, Frame f)
    {
        if (shifts is null || shifts.Length == 0) return null;
        var dys = shifts.Select(x => x.Dy).Distinct().Order().ToArray();
        var dxs = shifts.Select(x => x.Dx).Distinct().Order().ToArray();
        if (dys.Length * dxs.Length != shifts.Length || shifts.Distinct().Count() != shifts.Length) return null;
        return (dxs, [.. dys.Select(dy => dy * f.Width)], dxs is [-1, 0, 1] && dys is [-1, 0, 1]);
    }

    /// <summary>
    /// The zero-padded frame of a stage whose convolutions are all stride-1 shift stencils (docs/CONVOLUTION.md, "The
    /// pair engine"): image pixel (y, x) of every state lies at (y + Hy)·Width + x + Hx, the border of Hy rows and Hx
    /// columns holds zeros, so a convolution is one shifted contiguous run per tap over all output rows at once (the
    /// columns between rows are computed, then cleared). Stride = Pixels + Slack values per diagonal state, per row of a
    /// full state and per image in <see cref="Images"/>: the slack takes the vector tail of a run.
    /// </summary>
    private sealed class Frame
    {
        public const int Slack = 16;   // two Vector256<float> lengths
        public readonly int Hy, Hx, Width, Height, Pixels, Stride;

        private Frame(int hy, int hx, ImageShape input)
        {
            Hy = hy; Hx = hx; Width = input.Width + 2 * hx; Height = input.Height + 2 * hy;
            Pixels = Width * Height; Stride = Pixels + Slack;
        }

        /// <summary>The frame position of image pixel (y, x).</summary>
        public int At(int y, int x) => (y + Hy) * Width + x + Hx;

        /// <summary>The frame position of pixel p (row-major) of an image of width w.</summary>
        public int Pixel(int p, int w) => At(p / w, p % w);

        /// <summary>The frame position just past the last output pixel of a state of shape s: a run from At(0, 0) covers it.</summary>
        public int End(ImageShape s) => At(s.Height - 1, s.Width);

        /// <summary>The first position of the run of a state of shape s and its length, a whole number of Vector256 lengths (twice).</summary>
        public (int Start, int Count) Span(ImageShape s)
        {
            int start = At(0, 0), count = End(s) - start, v = 2 * Vector256<T>.Count;
            return (start, (count + v - 1) / v * v);
        }

        /// <summary>The frame offset of a shift.</summary>
        public int Offset((int Dy, int Dx) shift) => shift.Dy * Width + shift.Dx;

        /// <summary>The frame of the stage, or null when a convolution is not a shift stencil or a state outgrows the input.</summary>
        public static Frame? TryCreate(ImageShape input, Step[] steps)
        {
            int hy = 0, hx = 0;
            foreach (var step in steps)
            {
                if (step.Out.Height > input.Height || step.Out.Width > input.Width) return null;
                if (step.Conv is null) continue;
                if (step.Shifts is not { } shifts) return null;
                foreach (var (dy, dx) in shifts)
                {
                    hy = Math.Max(hy, Math.Max(-dy, step.Out.Height + dy - input.Height));
                    hx = Math.Max(hx, Math.Max(-dx, step.Out.Width + dx - input.Width));
                }
            }
            return new Frame(hy, hx, input);
        }
    }

    /// <summary>Per-image quantities in the layout of this engine: for each activation slot, image-major
    /// [image·Stride + position] variances, their square roots and the inverses of those (0 for a zero variance and
    /// on the frame's border).</summary>
    public sealed class Images(T[][] cov, T[][] sqrt, T[][] inv, int[] stride)
    {
        public readonly T[][] Cov = cov, Sqrt = sqrt, Inv = inv;
        public readonly int[] Stride = stride;
    }

    /// <summary>The image shape at each activation slot.</summary>
    private ImageShape[] SlotShapes => [.. _steps.Where(s => s.Activation is not null && s.Slot >= 0).OrderBy(s => s.Slot).Select(s => s.Out)];

    /// <summary>Converts the recorded variances of the self pass ([p·n + image], double) to this engine's layout and type.</summary>
    public Images Convert(double[][] cov, int n)
    {
        var shapes = SlotShapes;
        int slots = cov.Length;
        var stride = new int[slots];
        T[][] c = new T[slots][], s = new T[slots][], v = new T[slots][];
        for (int a = 0; a < slots; a++)
        {
            int P = cov[a].Length / Math.Max(n, 1), width = shapes[a].Width;
            int at = stride[a] = _frame?.Stride ?? P;
            c[a] = new T[n * at]; s[a] = new T[n * at]; v[a] = new T[n * at];
            for (int p = 0; p < P; p++)
            {
                int u = _frame?.Pixel(p, width) ?? p;
                for (int img = 0; img < n; img++)
                {
                    double q = cov[a][p * n + img], r = Math.Sqrt(Math.Max(q, 0));
                    c[a][img * at + u] = T.CreateTruncating(q);
                    s[a][img * at + u] = T.CreateTruncating(r);
                    v[a][img * at + u] = T.CreateTruncating(r > 0 ? 1 / r : 0);
                }
            }
        }
        return new Images(c, s, v, stride);
    }

    /// <summary>Buffers of one pair (four states, two rows of column sums, the readout's input in double, a copy of x1, x2 channel-major), owned by one thread or shared by the rows of one pair.</summary>
    public sealed class Work(int maxPairs, int features)
    {
        public T[] A = new T[maxPairs], B = new T[maxPairs], A2 = new T[maxPairs], B2 = new T[maxPairs];
        private T[]? _rowK, _rowT;

        /// <summary>The separable stencil's sums along the window rows (diagonal layout only; allocated on first use).</summary>
        public T[] RowK => _rowK ??= new T[A.Length];

        /// <summary>The same for the NTK state.</summary>
        public T[] RowT => _rowT ??= new T[A.Length];
        public readonly double[] Final = new double[maxPairs];
        public readonly double[] X2T = new double[features], X1 = new double[features];

        /// <summary>Bytes of the buffers.</summary>
        public static long Bytes(int maxPairs, int features, bool full) => (long)maxPairs * ((full ? 4 : 6) * Unsafe.SizeOf<T>() + 8) + (long)features * 16;
    }

    /// <summary>
    /// The NNGP and NTK of images x1 (index i among <paramref name="images1"/>) and x2 (index j among <paramref name="images2"/>)
    /// after the readout. <paramref name="rowParallel"/>: share each stage's output rows among the cores (a large full-layout pair).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double Nngp, double Ntk) Pair(Work w, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2, Images images1, int i, Images images2, int j,
        bool withNtk, ParallelOptions? rowParallel)
    {
        InputCovariance(w, x1, x2, rowParallel);
        if (withNtk) ClearNtk(w, rowParallel);
        for (int s = 0; s < _steps.Length; s++)
        {
            var step = _steps[s];
            if (step.Conv is { } conv) ConvStep(w, s, conv, images1, i, images2, j, withNtk, fuse: true, rowParallel);
            else Activate(w, step, images1, i, images2, j, withNtk, rowParallel);
        }
        double nngp = Readout(w, w.A, rowParallel), ntk = withNtk ? Readout(w, w.B, rowParallel) : 0;
        return (nngp, ntk);
    }

    /// <summary>The NTK state starts at zero; a large full-layout state is cleared in chunks of 64 Ki values shared among the cores.</summary>
    private void ClearNtk(Work w, ParallelOptions? rowParallel)
    {
        int size = _frame is null ? Pairs(_input.Pixels) : MaxPairs, chunks = _full ? Math.Max(1, size >> 16) : 1;
        var b = w.B;
        ForRows(chunks, chunks > 1 ? rowParallel : null, (from, to) =>
        {
            int first = (int)((long)size * from / chunks), last = (int)((long)size * to / chunks);
            b.AsSpan(first, last - first).Clear();
        });
    }

    /// <summary>
    /// The self pass of image x (index <paramref name="image"/> of <paramref name="count"/>), in double: K(x, x) through
    /// every stage, each activation's input pixel variances (the state's diagonal) checked and recorded into
    /// <paramref name="record"/>[slot][p·count + image] before the activation maps the state (the diagonal by
    /// <see cref="Activation.Variance"/>, as the reference rule); returns the readout's value, and with
    /// <paramref name="withNtk"/> Θ(x, x) beside it (the activation's pair rule on the state with x's own variances, as
    /// <see cref="Pair"/> would map it), so the kernel's diagonal needs no second pass.
    /// </summary>
    /// <exception cref="NonGaussianInputException">Variances a composed activation cannot integrate.</exception>
    public (double Nngp, double Ntk) Self(Work w, ReadOnlySpan<double> x, double[][] record, int image, int count, bool withNtk, ParallelOptions? rowParallel)
    {
        if (typeof(T) != typeof(double)) throw new InvalidOperationException("The self pass runs in double.");
        InputCovariance(w, x, x, rowParallel);
        if (withNtk) ClearNtk(w, rowParallel);
        for (int s = 0; s < _steps.Length; s++)
        {
            var step = _steps[s];
            if (step.Conv is { } conv) ConvStep(w, s, conv, null!, 0, null!, 0, withNtk, fuse: false, rowParallel);
            if (step.Activation is not { } act) continue;
            int P = step.Conv is null ? step.PixelsIn : step.PixelsOut;
            var pos = new int[P];   // where pixel p's own variance lies in the state
            for (int p = 0; p < P; p++) pos[p] = _frame is { } f ? (_full ? f.Pixel(p, step.Out.Width) * (f.Stride + 1) : f.Pixel(p, step.Out.Width)) : _full ? p * P + p : p;
            int stride = _frame?.Stride ?? P;
            var own = new Images([new T[stride]], [new T[stride]], [new T[stride]], [stride]);
            var q = new double[P];
            for (int p = 0; p < P; p++) q[p] = double.CreateTruncating(w.A[pos[p]]);
            act.CheckInputVariances(q);
            for (int p = 0; p < P; p++)
            {
                record[step.Slot][p * count + image] = q[p];
                double r = Math.Sqrt(Math.Max(q[p], 0));
                int u = _frame?.Pixel(p, step.Out.Width) ?? p;
                own.Cov[0][u] = T.CreateTruncating(q[p]); own.Sqrt[0][u] = T.CreateTruncating(r); own.Inv[0][u] = T.CreateTruncating(r > 0 ? 1 / r : 0);
            }
            if (_full || withNtk) Activate(w, step with { Slot = 0, PixelsIn = P }, own, 0, own, 0, withNtk, rowParallel);
            for (int p = 0; p < P; p++) w.A[pos[p]] = T.CreateTruncating(act.Variance(q[p]));
        }
        return (Readout(w, w.A, rowParallel), withNtk ? Readout(w, w.B, rowParallel) : 0);
    }

    /// <summary>The readout of a final state, in double: the readout's own rule, or on the frame, for a readout that weighs
    /// every entry alike (flatten on the diagonal, the global pools on the full layout), that weight times the sum of the
    /// state (its border holds zeros).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Readout(Work w, T[] state, ParallelOptions? rowParallel)
    {
        if (_frame is { } frame && !double.IsNaN(_sumWeight))
        {
            int start = frame.At(0, 0), end = frame.End(_last);
            if (!_full) return _sumWeight * SumToDouble(state.AsSpan(start, end - start));
            // The row sums shared among the cores like the stages, then added in row order (the same bits for any number of threads).
            var rows = w.Final;
            int width = _last.Width;
            ForRows(_last.Pixels, rowParallel, (from, to) =>
            {
                for (int p = from; p < to; p++) rows[p] = SumToDouble(state.AsSpan(frame.Pixel(p, width) * frame.Stride + start, end - start));
            });
            double total = 0;
            for (int p = 0; p < _last.Pixels; p++) total += rows[p];
            return _sumWeight * total;
        }
        int P = _last.Pixels;
        if (_frame is not { } f)
            for (int u = 0; u < Pairs(P); u++) w.Final[u] = double.CreateTruncating(state[u]);
        else if (!_full)
            Gather(state, 0, f, _last, w.Final, 0);
        else
            for (int p = 0; p < P; p++) Gather(state, f.Pixel(p, _last.Width) * f.Stride, f, _last, w.Final, p * P);
        Span<double> o = stackalloc double[1];
        _readout.ReduceOne(w.Final, _last.Pixels, _full, o);
        return o[0];
    }

    /// <summary>The sum of x in double (float values widened, two vector accumulators).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumToDouble(ReadOnlySpan<T> x)
    {
        if (typeof(T) == typeof(double)) return TensorPrimitives.Sum(MemoryMarshal.Cast<T, double>(x));
        int n = x.Length, j = 0;
        double total;
        var f = MemoryMarshal.Cast<T, float>(x);
        Vector256<double> b0 = default, b1 = default;
        if (VectorMath.Wide)
        {
            // [b0 | b1] in one 512-bit accumulator, the two 8-float halves added in turn: the same sums in the same
            // order as the 256-bit loop below, so both widths give the same bits.
            Vector512<double> c = default;
            for (; j + 16 <= n; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Create(f.Slice(j, 16)));
                c = c + lo + hi;
            }
            b0 = c.GetLower();
            b1 = c.GetUpper();
        }
        for (; j + 8 <= n; j += 8)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Create(f.Slice(j, 8)));
            b0 += lo; b1 += hi;
        }
        total = Vector256.Sum(b0 + b1);
        for (; j < n; j++) total += f[j];
        return total;
    }

    /// <summary>dst = a·b elementwise, each product formed in double and rounded once to T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyRounded(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<T> dst)
    {
        if (typeof(T) == typeof(double)) { TensorPrimitives.Multiply(a, b, MemoryMarshal.Cast<T, double>(dst)); return; }
        int n = dst.Length, j = 0;
        if (Vector256.IsHardwareAccelerated && typeof(T) == typeof(float))
        {
            var f = MemoryMarshal.Cast<T, float>(dst);
            if (VectorMath.Wide)
                for (; j + 16 <= n; j += 16)
                    Vector512.Narrow(Vector512.Create(a.Slice(j, 8)) * Vector512.Create(b.Slice(j, 8)),
                                     Vector512.Create(a.Slice(j + 8, 8)) * Vector512.Create(b.Slice(j + 8, 8))).CopyTo(f.Slice(j, 16));
            for (; j + 8 <= n; j += 8)
                Vector256.Narrow(Vector256.Create(a.Slice(j, 4)) * Vector256.Create(b.Slice(j, 4)),
                                 Vector256.Create(a.Slice(j + 4, 4)) * Vector256.Create(b.Slice(j + 4, 4))).CopyTo(f.Slice(j, 8));
        }
        for (; j < n; j++) dst[j] = T.CreateTruncating(a[j] * b[j]);
    }

    /// <summary>dst[at + p] = state[row + frame position of p] for the pixels p of an image of shape s (row-major).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gather(T[] state, int row, Frame f, ImageShape s, double[] dst, int at)
    {
        for (int y = 0; y < s.Height; y++)
        {
            int from = row + f.At(y, 0), to = at + y * s.Width;
            for (int x = 0; x < s.Width; x++) dst[to + x] = double.CreateTruncating(state[from + x]);
        }
    }

    /// <summary>K[p, p'] = Σ_c x1[p, c]·x2[p', c]/C in double, rounded once to T (docs/MATH.md §2); the rows of a full-layout pair shared among the cores like its stages.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InputCovariance(Work w, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2, ParallelOptions? rowParallel)
    {
        int P = _input.Pixels, C = _input.Channels, width = _input.Width;
        var f = _frame;
        if (!_full)
        {
            if (f is not null) w.A.AsSpan(0, f.Stride).Clear();
            if (C == 1)
            {
                // One product over the whole image (long vectors, no tail per row), then its rows into the frame.
                if (f is null) { MultiplyRounded(x1[..P], x2[..P], w.A.AsSpan(0, P)); return; }
                var products = w.RowK.AsSpan(0, P);
                MultiplyRounded(x1[..P], x2[..P], products);
                for (int y = 0; y < _input.Height; y++) products.Slice(y * width, width).CopyTo(w.A.AsSpan(f.At(y, 0), width));
                return;
            }
            for (int y = 0, p = 0; y < _input.Height; y++)
            {
                int at = f?.At(y, 0) ?? y * width;
                for (int x = 0; x < width; x++, p++)
                {
                    double s = 0;
                    for (int c = 0; c < C; c++) s += x1[p * C + c] * x2[p * C + c];
                    w.A[at + x] = T.CreateTruncating(s / C);
                }
            }
            return;
        }
        var x2t = w.X2T;   // x2 channel-major: x2t[c·P + q]
        var x1c = w.X1;
        x1.CopyTo(x1c);
        for (int q = 0; q < P; q++) for (int c = 0; c < C; c++) x2t[c * P + q] = x2[q * C + c];
        var a = w.A;
        ForRows(P, rowParallel, (from, to) =>
        {
            var row = new double[P];
            for (int p = from; p < to; p++)
            {
                Array.Clear(row);
                for (int c = 0; c < C; c++)
                {
                    double v = x1c[p * C + c];
                    var src = x2t.AsSpan(c * P, P);
                    for (int q = 0; q < P; q++) row[q] += v * src[q];
                }
                if (f is not null)
                {
                    var frameRow = a.AsSpan(f.Pixel(p, width) * f.Stride, f.Stride);
                    frameRow.Clear();
                    for (int y = 0, q = 0; y < _input.Height; y++)
                        for (int x = 0, at = f.At(y, 0); x < width; x++, q++) frameRow[at + x] = T.CreateTruncating(row[q] / C);
                    continue;
                }
                var dst = a.AsSpan(p * P, P);
                for (int q = 0; q < P; q++) dst[q] = T.CreateTruncating(row[q] / C);
            }
        });
    }

    private void ConvStep(Work w, int s, Conv conv, Images images1, int i, Images images2, int j, bool withNtk, bool fuse, ParallelOptions? rowParallel)
    {
        var step = _steps[s];
        if (_frame is { } frame) { FramedConv(w, step, s, _offsets![s], frame, conv, images1, i, images2, j, withNtk, fuse, rowParallel); return; }
        var g = step.Geometry!;
        int po = step.PixelsOut, f = g.WindowSize;
        T w2 = T.CreateTruncating(conv.WeightStd * conv.WeightStd / f), b2 = T.CreateTruncating(conv.BiasStd * conv.BiasStd);
        T own = conv.Frozen ? T.Zero : T.One;
        var act = fuse ? step.Activation : null;
        if (!_full)
        {
            ConvRow(w.A, w.B, w.A2, w.B2, 0, step.Runs!, f, po, w2, b2, own, withNtk, g, o1: -1, step.PixelsIn);
            if (act is not null) ActivateRow(act, step.Slot, -1, po, images1, i, images2, j, withNtk, w.A2, w.B2);
        }
        else
        {
            ForRows(po, rowParallel, (from, to) =>
            {
                for (int o1 = from; o1 < to; o1++)
                {
                    ConvRow(w.A, w.B, w.A2, w.B2, o1 * po, step.Runs!, f, po, w2, b2, own, withNtk, g, o1, step.PixelsIn);
                    if (act is not null) ActivateRow(act, step.Slot, o1, po, images1, i, images2, j, withNtk, w.A2, w.B2);
                }
            });
        }
        (w.A, w.A2) = (w.A2, w.A);
        (w.B, w.B2) = (w.B2, w.B);
    }

    /// <summary>
    /// A convolution on the frame (<see cref="Frame"/>): per output row (full layout) or once (diagonal), one stencil
    /// over the run of all output pixels (each tap a constant offset), the activation on the same run, then the columns
    /// between rows and the tail cleared; rows of pixels a valid convolution dropped are cleared too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FramedConv(Work w, Step step, int index, int[] offsets, Frame f, Conv conv, Images images1, int i, Images images2, int j, bool withNtk, bool fuse, ParallelOptions? rowParallel)
    {
        int taps = step.Geometry!.WindowSize;
        T w2 = T.CreateTruncating(conv.WeightStd * conv.WeightStd / taps), b2 = T.CreateTruncating(conv.BiasStd * conv.BiasStd);
        T own = conv.Frozen ? T.Zero : T.One;
        var act = fuse ? step.Activation : null;
        var (start, count) = f.Span(step.Out);
        if (!_full)
        {
            if (_separable![index] is { } sep)
            {
                if (!(withNtk && sep.Rolling3 && RollingStencil3(w.A, w.B, w.A2, w.B2, f, step.Out, w2, b2, own)))
                    SeparableStencil(w.A, w.B, w.RowK, w.RowT, w.A2, w.B2, start, count, sep.Across, sep.Down, w2, b2, own, withNtk);
            }
            else
                Stencil(w.A, w.B, w.A2, w.B2, start, count, offsets, w2, b2, own, withNtk);
            if (act is not null) ActivateSpan(act, step.Slot, -1, 0, start, count, images1, i, images2, j, withNtk, w.A2, w.B2);
            ClearGaps(w.A2, w.B2, 0, f, step.Out, withNtk);
        }
        else
        {
            int width = step.Out.Width;
            ForRows(step.Out.Pixels, rowParallel, (from, to) =>
            {
                for (int r = from; r < to; r++)
                {
                    int p1 = f.Pixel(r, width), row = p1 * f.Stride;
                    Stencil(w.A, w.B, w.A2, w.B2, row + start, count, offsets, w2, b2, own, withNtk);
                    if (act is not null) ActivateSpan(act, step.Slot, p1, row, start, count, images1, i, images2, j, withNtk, w.A2, w.B2);
                    ClearGaps(w.A2, w.B2, row, f, step.Out, withNtk);
                }
            });
            if (step.Out.Height < _input.Height || step.Out.Width < _input.Width)
                for (int y = 0; y < _input.Height; y++)
                    for (int x = 0; x < _input.Width; x++)
                    {
                        if (y < step.Out.Height && x < step.Out.Width) continue;
                        w.A2.AsSpan(f.At(y, x) * f.Stride, f.Stride).Clear();
                        if (withNtk) w.B2.AsSpan(f.At(y, x) * f.Stride, f.Stride).Clear();
                    }
        }
        (w.A, w.A2) = (w.A2, w.A);
        (w.B, w.B2) = (w.B2, w.B);
    }

    /// <summary>Zeroes what a framed run wrote outside the image of shape e: the columns between rows and everything after the last pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ClearGaps(T[] k, T[] t, int row, Frame f, ImageShape e, bool withNtk)
    {
        int gap = f.Width - e.Width, end = f.End(e);
        for (int y = 0; y + 1 < e.Height; y++)
        {
            int at = row + f.At(y, e.Width);
            for (int u = at; u < at + gap; u++) k[u] = T.Zero;   // a few values: no call to Clear
            if (withNtk) for (int u = at; u < at + gap; u++) t[u] = T.Zero;
        }
        k.AsSpan(row + end, f.Stride - end).Clear();
        if (withNtk) t.AsSpan(row + end, f.Stride - end).Clear();
    }

    /// <summary>The activation on a framed run [start, start + count) of row p1 (full layout: the first image's
    /// variance at frame pixel p1, the second's along the run) or of the diagonal state (p1 = −1: both along the run).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivateSpan(Activation act, int slot, int p1, int row, int start, int count, Images images1, int i, Images images2, int j,
        bool withNtk, T[] k, T[] t)
    {
        int stride = images1.Stride[slot], at = p1 < 0 ? i * stride + start : i * stride + p1, width = p1 < 0 ? count : 1, at2 = j * images2.Stride[slot] + start;
        act.PairKernel(k.AsSpan(row + start, count), withNtk ? t.AsSpan(row + start, count) : Span<T>.Empty,
            images1.Cov[slot].AsSpan(at, width), images1.Sqrt[slot].AsSpan(at, width), images1.Inv[slot].AsSpan(at, width),
            images2.Cov[slot].AsSpan(at2, count), images2.Sqrt[slot].AsSpan(at2, count), images2.Inv[slot].AsSpan(at2, count));
    }

    /// <summary>
    /// The fused stencil of a framed convolution on [at, at + count): kOut = w2·Σ_taps k[· + offset] + b2 and
    /// tOut = own·kOut + w2·Σ_taps t[· + offset], the taps in order from 0 as <see cref="Conv"/>'s reference rule (a tap
    /// on the zero border adds an exact zero, so double gives the same sums); the sums stay in registers. A 3×3 window
    /// with the NTK takes 512-bit vectors first when <see cref="VectorMath.Wide"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stencil(T[] k, T[] t, T[] kOut, T[] tOut, int at, int count, int[] offsets, T w2, T b2, T own, bool withNtk)
    {
        ref T rk = ref MemoryMarshal.GetArrayDataReference(k);
        ref T rt = ref MemoryMarshal.GetArrayDataReference(t);
        ref T ok = ref MemoryMarshal.GetArrayDataReference(kOut);
        ref T ot = ref MemoryMarshal.GetArrayDataReference(tOut);
        int v = Vector256<T>.Count, u = 0, taps = offsets.Length;
        ref int offs = ref MemoryMarshal.GetArrayDataReference(offsets);
        var vw = Vector256.Create(w2); var vb = Vector256.Create(b2); var vo = Vector256.Create(own);
        if (VectorMath.Wide && taps == 9 && withNtk)
        {
            nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7], o8 = offsets[8];
            var ww = Vector512.Create(w2); var wb = Vector512.Create(b2); var wo = Vector512.Create(own);
            for (; u + 2 * v <= count; u += 2 * v)
            {
                nint a = at + u;
                var sk = W(ref rk, a + o0) + W(ref rk, a + o1) + W(ref rk, a + o2) + W(ref rk, a + o3) + W(ref rk, a + o4)
                    + W(ref rk, a + o5) + W(ref rk, a + o6) + W(ref rk, a + o7) + W(ref rk, a + o8);
                var st = W(ref rt, a + o0) + W(ref rt, a + o1) + W(ref rt, a + o2) + W(ref rt, a + o3) + W(ref rt, a + o4)
                    + W(ref rt, a + o5) + W(ref rt, a + o6) + W(ref rt, a + o7) + W(ref rt, a + o8);
                var kn = ww * sk + wb;
                kn.StoreUnsafe(ref ok, (nuint)a);
                (wo * kn + ww * st).StoreUnsafe(ref ot, (nuint)a);
            }
        }
        if (Vector256.IsHardwareAccelerated && taps == 9 && withNtk)
        {
            // 3×3: the nine offsets in registers, the taps unrolled (the same sums in the same order as below).
            nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7], o8 = offsets[8];
            for (; u + v <= count; u += v)
            {
                nint a = at + u;
                var sk = L(ref rk, a + o0) + L(ref rk, a + o1) + L(ref rk, a + o2) + L(ref rk, a + o3) + L(ref rk, a + o4)
                    + L(ref rk, a + o5) + L(ref rk, a + o6) + L(ref rk, a + o7) + L(ref rk, a + o8);
                var st = L(ref rt, a + o0) + L(ref rt, a + o1) + L(ref rt, a + o2) + L(ref rt, a + o3) + L(ref rt, a + o4)
                    + L(ref rt, a + o5) + L(ref rt, a + o6) + L(ref rt, a + o7) + L(ref rt, a + o8);
                var kn = vw * sk + vb;
                kn.StoreUnsafe(ref ok, (nuint)a);
                (vo * kn + vw * st).StoreUnsafe(ref ot, (nuint)a);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; u + 2 * v <= count; u += 2 * v)
            {
                Vector256<T> k0 = Vector256<T>.Zero, k1 = Vector256<T>.Zero, t0 = Vector256<T>.Zero, t1 = Vector256<T>.Zero;
                nuint a = (nuint)(at + u);
                if (withNtk)
                    for (int tap = 0; tap < taps; tap++)
                    {
                        nuint src = (nuint)((nint)a + Unsafe.Add(ref offs, tap));
                        k0 += Vector256.LoadUnsafe(ref rk, src);
                        k1 += Vector256.LoadUnsafe(ref rk, src + (nuint)v);
                        t0 += Vector256.LoadUnsafe(ref rt, src);
                        t1 += Vector256.LoadUnsafe(ref rt, src + (nuint)v);
                    }
                else
                    for (int tap = 0; tap < taps; tap++)
                    {
                        nuint src = (nuint)((nint)a + Unsafe.Add(ref offs, tap));
                        k0 += Vector256.LoadUnsafe(ref rk, src);
                        k1 += Vector256.LoadUnsafe(ref rk, src + (nuint)v);
                    }
                var n0 = vw * k0 + vb; var n1 = vw * k1 + vb;
                n0.StoreUnsafe(ref ok, a); n1.StoreUnsafe(ref ok, a + (nuint)v);
                if (withNtk)
                {
                    (vo * n0 + vw * t0).StoreUnsafe(ref ot, a);
                    (vo * n1 + vw * t1).StoreUnsafe(ref ot, a + (nuint)v);
                }
            }
        }
        for (; u < count; u++)
        {
            T sk = T.Zero, st = T.Zero;
            for (int tap = 0; tap < taps; tap++)
            {
                int src = at + u + Unsafe.Add(ref offs, tap);
                sk += k[src];
                if (withNtk) st += t[src];
            }
            T kn = w2 * sk + b2;
            kOut[at + u] = kn;
            if (withNtk) tOut[at + u] = own * kn + w2 * st;
        }
    }

    /// <summary>
    /// The framed convolution on the diagonal layout for a rectangular window, in two passes: the sums along each row
    /// of the window (hk[p] = Σ_dx k[p + dx], for every position the second pass reads), then kOut = w2·Σ_dy hk[· + dy] + b2
    /// and tOut = own·kOut + w2·Σ_dy ht[· + dy]. A 3×3 window costs 6 loads per output and state instead of 9 (most of
    /// them unaligned, and on AVX-512 an unaligned 64-byte load spans two cache lines). The sums run in a fixed order,
    /// columns then rows, on both vector widths (a different rounding order from <see cref="Stencil"/>, still exact on
    /// the zero border).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SeparableStencil(T[] k, T[] t, T[] hk, T[] ht, T[] kOut, T[] tOut, int at, int count, int[] across, int[] down,
        T w2, T b2, T own, bool withNtk)
    {
        int lo = at + down[0], hi = at + count + down[^1];
        RowSums(k, hk, lo, hi, across);
        if (withNtk) RowSums(t, ht, lo, hi, across);
        ref T rh = ref MemoryMarshal.GetArrayDataReference(hk);
        ref T rg = ref MemoryMarshal.GetArrayDataReference(ht);
        ref T ok = ref MemoryMarshal.GetArrayDataReference(kOut);
        ref T ot = ref MemoryMarshal.GetArrayDataReference(tOut);
        int u = 0, rows = down.Length;
        if (VectorMath.Wide)
        {
            var ww = Vector512.Create(w2); var wb = Vector512.Create(b2); var wo = Vector512.Create(own);
            for (; u + Vector512<T>.Count <= count; u += Vector512<T>.Count)
            {
                nint a = at + u;
                var sk = W(ref rh, a + down[0]);
                for (int d = 1; d < rows; d++) sk += W(ref rh, a + down[d]);
                var kn = ww * sk + wb;
                kn.StoreUnsafe(ref ok, (nuint)a);
                if (!withNtk) continue;
                var st = W(ref rg, a + down[0]);
                for (int d = 1; d < rows; d++) st += W(ref rg, a + down[d]);
                (wo * kn + ww * st).StoreUnsafe(ref ot, (nuint)a);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w2); var vb = Vector256.Create(b2); var vo = Vector256.Create(own);
            for (; u + Vector256<T>.Count <= count; u += Vector256<T>.Count)
            {
                nint a = at + u;
                var sk = L(ref rh, a + down[0]);
                for (int d = 1; d < rows; d++) sk += L(ref rh, a + down[d]);
                var kn = vw * sk + vb;
                kn.StoreUnsafe(ref ok, (nuint)a);
                if (!withNtk) continue;
                var st = L(ref rg, a + down[0]);
                for (int d = 1; d < rows; d++) st += L(ref rg, a + down[d]);
                (vo * kn + vw * st).StoreUnsafe(ref ot, (nuint)a);
            }
        }
        for (; u < count; u++)
        {
            int a = at + u;
            T sk = hk[a + down[0]], st = withNtk ? ht[a + down[0]] : T.Zero;
            for (int d = 1; d < rows; d++)
            {
                sk += hk[a + down[d]];
                if (withNtk) st += ht[a + down[d]];
            }
            T kn = w2 * sk + b2;
            kOut[a] = kn;
            if (withNtk) tOut[a] = own * kn + w2 * st;
        }
    }

    /// <summary>
    /// <see cref="SeparableStencil"/> for a 3×3 same-padded window with the NTK, each vector of columns taken down the image
    /// with the three window rows' sums held in registers (h(y − 1), h(y), h(y + 1)): 3 loads and 1 store per output and
    /// state instead of 8 memory operations, the same sums in the same order (so the same bits). A row's last vector
    /// runs past its end into the gap and the next row's first pixels, which that row then overwrites, and
    /// <see cref="ClearGaps"/> clears the rest. Returns false (nothing done) when the last vector would read past the buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool RollingStencil3(T[] k, T[] t, T[] kOut, T[] tOut, Frame f, ImageShape e, T w2, T b2, T own)
    {
        int width = f.Width, rows = e.Height;
        int v = VectorMath.Wide ? Vector512<T>.Count : Vector256<T>.Count, chunks = (e.Width + v - 1) / v;
        if (!Vector256.IsHardwareAccelerated || (long)f.At(rows - 1, 0) + (long)chunks * v + width + 1 > Math.Min(k.Length, t.Length)) return false;
        ref T rk = ref MemoryMarshal.GetArrayDataReference(k);
        ref T rt = ref MemoryMarshal.GetArrayDataReference(t);
        ref T ok = ref MemoryMarshal.GetArrayDataReference(kOut);
        ref T ot = ref MemoryMarshal.GetArrayDataReference(tOut);
        nint w = width;
        if (VectorMath.Wide)
        {
            var ww = Vector512.Create(w2); var wb = Vector512.Create(b2); var wo = Vector512.Create(own);
            for (int c = 0; c < chunks; c++)
            {
                nint p = f.At(0, c * v);
                var kPrev = W(ref rk, p - w - 1) + W(ref rk, p - w) + W(ref rk, p - w + 1);
                var tPrev = W(ref rt, p - w - 1) + W(ref rt, p - w) + W(ref rt, p - w + 1);
                var kCur = W(ref rk, p - 1) + W(ref rk, p) + W(ref rk, p + 1);
                var tCur = W(ref rt, p - 1) + W(ref rt, p) + W(ref rt, p + 1);
                for (int y = 0; y < rows; y++, p += w)
                {
                    var kNext = W(ref rk, p + w - 1) + W(ref rk, p + w) + W(ref rk, p + w + 1);
                    var tNext = W(ref rt, p + w - 1) + W(ref rt, p + w) + W(ref rt, p + w + 1);
                    var kn = ww * (kPrev + kCur + kNext) + wb;
                    kn.StoreUnsafe(ref ok, (nuint)p);
                    (wo * kn + ww * (tPrev + tCur + tNext)).StoreUnsafe(ref ot, (nuint)p);
                    kPrev = kCur; kCur = kNext; tPrev = tCur; tCur = tNext;
                }
            }
            return true;
        }
        var vw = Vector256.Create(w2); var vb = Vector256.Create(b2); var vo = Vector256.Create(own);
        for (int c = 0; c < chunks; c++)
        {
            nint p = f.At(0, c * v);
            var kPrev = L(ref rk, p - w - 1) + L(ref rk, p - w) + L(ref rk, p - w + 1);
            var tPrev = L(ref rt, p - w - 1) + L(ref rt, p - w) + L(ref rt, p - w + 1);
            var kCur = L(ref rk, p - 1) + L(ref rk, p) + L(ref rk, p + 1);
            var tCur = L(ref rt, p - 1) + L(ref rt, p) + L(ref rt, p + 1);
            for (int y = 0; y < rows; y++, p += w)
            {
                var kNext = L(ref rk, p + w - 1) + L(ref rk, p + w) + L(ref rk, p + w + 1);
                var tNext = L(ref rt, p + w - 1) + L(ref rt, p + w) + L(ref rt, p + w + 1);
                var kn = vw * (kPrev + kCur + kNext) + vb;
                kn.StoreUnsafe(ref ok, (nuint)p);
                (vo * kn + vw * (tPrev + tCur + tNext)).StoreUnsafe(ref ot, (nuint)p);
                kPrev = kCur; kCur = kNext; tPrev = tCur; tCur = tNext;
            }
        }
        return true;
    }

    /// <summary>h[p] = Σ_c x[p + across[c]] (in the order of <paramref name="across"/>) for p in [lo, hi); the vectors stop
    /// before hi, so nothing past x[hi − 1 + across[^1]] is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSums(T[] x, T[] h, int lo, int hi, int[] across)
    {
        ref T rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref T rh = ref MemoryMarshal.GetArrayDataReference(h);
        int p = lo, cols = across.Length;
        if (VectorMath.Wide)
            for (; p + Vector512<T>.Count <= hi; p += Vector512<T>.Count)
            {
                var sum = W(ref rx, p + across[0]);
                for (int c = 1; c < cols; c++) sum += W(ref rx, p + across[c]);
                sum.StoreUnsafe(ref rh, (nuint)p);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; p + Vector256<T>.Count <= hi; p += Vector256<T>.Count)
            {
                var sum = L(ref rx, p + across[0]);
                for (int c = 1; c < cols; c++) sum += L(ref rx, p + across[c]);
                sum.StoreUnsafe(ref rh, (nuint)p);
            }
        for (; p < hi; p++)
        {
            T sum = x[p + across[0]];
            for (int c = 1; c < cols; c++) sum += x[p + across[c]];
            h[p] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> L(ref T r, nint at) => Vector256.LoadUnsafe(ref r, (nuint)at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> W(ref T r, nint at) => Vector512.LoadUnsafe(ref r, (nuint)at);

    /// <summary>An activation alone (not after a convolution), in place.</summary>
    private void Activate(Work w, Step step, Images images1, int i, Images images2, int j, bool withNtk, ParallelOptions? rowParallel)
    {
        if (_frame is { } f)
        {
            var (start, count) = f.Span(step.Out);
            if (!_full)
            {
                ActivateSpan(step.Activation!, step.Slot, -1, 0, start, count, images1, i, images2, j, withNtk, w.A, w.B);
                ClearGaps(w.A, w.B, 0, f, step.Out, withNtk);
                return;
            }
            int width = step.Out.Width;
            ForRows(step.Out.Pixels, rowParallel, (from, to) =>
            {
                for (int r = from; r < to; r++)
                {
                    int p1 = f.Pixel(r, width), row = p1 * f.Stride;
                    ActivateSpan(step.Activation!, step.Slot, p1, row, start, count, images1, i, images2, j, withNtk, w.A, w.B);
                    ClearGaps(w.A, w.B, row, f, step.Out, withNtk);
                }
            });
            return;
        }
        int P = step.PixelsIn;
        if (!_full) { ActivateRow(step.Activation!, step.Slot, -1, P, images1, i, images2, j, withNtk, w.A, w.B); return; }
        ForRows(P, rowParallel, (from, to) =>
        {
            for (int o1 = from; o1 < to; o1++) ActivateRow(step.Activation!, step.Slot, o1, P, images1, i, images2, j, withNtk, w.A, w.B);
        });
    }

    /// <summary>The activation on row o1 of a full-layout state (the first image's variance at o1, the second's at every
    /// pixel), or on the whole diagonal state (o1 = −1: both images' variances pixel by pixel).</summary>
    private static void ActivateRow(Activation act, int slot, int o1, int P, Images images1, int i, Images images2, int j, bool withNtk, T[] k, T[] t)
    {
        int at = o1 < 0 ? i * P : i * P + o1, width = o1 < 0 ? P : 1, row = o1 < 0 ? 0 : o1 * P;
        act.PairKernel(k.AsSpan(row, P), withNtk ? t.AsSpan(row, P) : Span<T>.Empty,
            images1.Cov[slot].AsSpan(at, width), images1.Sqrt[slot].AsSpan(at, width), images1.Inv[slot].AsSpan(at, width),
            images2.Cov[slot].AsSpan(j * P, P), images2.Sqrt[slot].AsSpan(j * P, P), images2.Inv[slot].AsSpan(j * P, P));
    }

    /// <summary>Runs body(from, to) over [0, rows): on the calling thread, or in contiguous blocks on the cores, 32 per core
    /// (a memory-bound float64 layer of a 32×32 pair is uneven enough that 8 per core left 7 % more wall time at the barriers).</summary>
    private static void ForRows(int rows, ParallelOptions? parallel, Action<int, int> body)
    {
        if (parallel is null) { body(0, rows); return; }
        int blocks = Math.Min(rows, Workers(parallel) * 32);
        System.Threading.Tasks.Parallel.For(0, blocks, parallel, b => body((int)((long)rows * b / blocks), (int)((long)rows * (b + 1) / blocks)));
    }

    /// <summary>The workers of a row-parallel pair.</summary>
    public static int Workers(ParallelOptions parallel) => parallel.MaxDegreeOfParallelism > 0 ? parallel.MaxDegreeOfParallelism : Environment.ProcessorCount;

    /// <summary>
    /// One output row of a convolution: out[dst + o] = w2·Σ_taps in[src(o, tap)] + b2 and the NTK own·out + w2·Σ_taps t[…],
    /// the taps in order from 0 (as <see cref="Conv"/>'s reference rule, so double gives the same sums). Diagonal layout
    /// (o1 = −1): one row of P outputs reading the same row. Full layout: row o1, reading row Index[o1, tap] of the input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvRow(T[] k, T[] t, T[] kOut, T[] tOut, int dst, Run[][] runs, int f, int po, T w2, T b2, T own,
        bool withNtk, WindowGeometry g, int o1, int pin)
    {
        var dk = kOut.AsSpan(dst, po);
        var dt = withNtk ? tOut.AsSpan(dst, po) : Span<T>.Empty;
        dk.Clear();
        if (withNtk) dt.Clear();
        for (int tap = 0; tap < f; tap++)
        {
            int rowBase = 0;
            if (o1 >= 0)
            {
                int ip = g.Index[o1 * f + tap];
                if (ip < 0) continue;
                rowBase = ip * pin;
            }
            foreach (var run in runs[tap])
            {
                AddTo(k.AsSpan(rowBase + run.Src, run.Length), dk.Slice(run.Dst, run.Length));
                if (withNtk) AddTo(t.AsSpan(rowBase + run.Src, run.Length), dt.Slice(run.Dst, run.Length));
            }
        }
        ScaleShift(dk, dt, w2, b2, own, withNtk);
    }

    /// <summary>y += x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ReadOnlySpan<T> x, Span<T> y)
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        int n = x.Length, j = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; j + Vector256<T>.Count <= n; j += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref rx, (nuint)j) + Vector256.LoadUnsafe(ref ry, (nuint)j)).StoreUnsafe(ref ry, (nuint)j);
        for (; j < n; j++) Unsafe.Add(ref ry, j) += Unsafe.Add(ref rx, j);
    }

    /// <summary>k ← w2·k + b2, then t ← own·k + w2·t (no fused multiply-add, as the reference rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleShift(Span<T> k, Span<T> t, T w2, T b2, T own, bool withNtk)
    {
        ref T rk = ref MemoryMarshal.GetReference(k);
        ref T rt = ref MemoryMarshal.GetReference(t);
        int n = k.Length, j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w2); var vb = Vector256.Create(b2); var vo = Vector256.Create(own);
            for (; j + Vector256<T>.Count <= n; j += Vector256<T>.Count)
            {
                var kn = vw * Vector256.LoadUnsafe(ref rk, (nuint)j) + vb;
                kn.StoreUnsafe(ref rk, (nuint)j);
                if (withNtk) (vo * kn + vw * Vector256.LoadUnsafe(ref rt, (nuint)j)).StoreUnsafe(ref rt, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            T kn = w2 * Unsafe.Add(ref rk, j) + b2;
            Unsafe.Add(ref rk, j) = kn;
            if (withNtk) Unsafe.Add(ref rt, j) = own * kn + w2 * Unsafe.Add(ref rt, j);
        }
    }
}
