using System.Numerics;
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

    /// <summary>One stage: a convolution (with the activation that follows it fused in, if any) or an activation alone.</summary>
    private sealed record Step(Conv? Conv, WindowGeometry? Geometry, Run[][]? Runs, Activation? Activation, int Slot, int PixelsIn, int PixelsOut);

    /// <summary>A run of consecutive output pixels [Dst, Dst + Length) that read consecutive input pixels from Src for one tap.</summary>
    internal readonly record struct Run(int Dst, int Src, int Length);

    private PairEngine(Step[] steps, ImageLayer readout, ImageShape input, ImageShape last, bool full)
    {
        _steps = steps; _readout = readout; _input = input; _last = last; _full = full;
    }

    /// <summary>The largest state (values per buffer) of a pair.</summary>
    public int MaxPairs => _steps.Select(s => Pairs(Math.Max(s.PixelsIn, s.PixelsOut))).Append(Pairs(_input.Pixels)).Max();

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
                    steps.Add(new Step(conv, g, Runs(g), next, next is null ? -1 : slot, shapes[s].Pixels, g.OutPixels));
                    if (next is not null) { slot++; s++; }
                    break;
                case Activation act:
                    steps.Add(new Step(null, null, null, act, slot++, shapes[s].Pixels, shapes[s].Pixels));
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

    /// <summary>Per-image quantities in the layout of this engine: for each activation slot, image-major
    /// [image·P + p] variances, their square roots and the inverses of those (0 for a zero variance).</summary>
    public sealed class Images(T[][] cov, T[][] sqrt, T[][] inv, int[] pixels)
    {
        public readonly T[][] Cov = cov, Sqrt = sqrt, Inv = inv;
        public readonly int[] Pixels = pixels;
    }

    /// <summary>Converts the recorded variances of the self pass ([p·n + image], double) to this engine's layout and type.</summary>
    public static Images Convert(double[][] cov, int n)
    {
        int slots = cov.Length;
        var pixels = new int[slots];
        T[][] c = new T[slots][], s = new T[slots][], v = new T[slots][];
        for (int a = 0; a < slots; a++)
        {
            int P = cov[a].Length / Math.Max(n, 1);
            pixels[a] = P;
            c[a] = new T[n * P]; s[a] = new T[n * P]; v[a] = new T[n * P];
            for (int p = 0; p < P; p++)
                for (int img = 0; img < n; img++)
                {
                    double q = cov[a][p * n + img], r = Math.Sqrt(Math.Max(q, 0));
                    c[a][img * P + p] = T.CreateTruncating(q);
                    s[a][img * P + p] = T.CreateTruncating(r);
                    v[a][img * P + p] = T.CreateTruncating(r > 0 ? 1 / r : 0);
                }
        }
        return new Images(c, s, v, pixels);
    }

    /// <summary>Buffers of one pair (four states, the readout's input in double, x2 channel-major), owned by one thread or shared by the rows of one pair.</summary>
    public sealed class Work(int maxPairs, int features)
    {
        public T[] A = new T[maxPairs], B = new T[maxPairs], A2 = new T[maxPairs], B2 = new T[maxPairs];
        public readonly double[] Final = new double[maxPairs];
        public readonly double[] X2T = new double[features];

        /// <summary>Bytes of the buffers.</summary>
        public static long Bytes(int maxPairs, int features) => (long)maxPairs * (4 * Unsafe.SizeOf<T>() + 8) + (long)features * 8;
    }

    /// <summary>
    /// The NNGP and NTK of images x1 (index i among <paramref name="images1"/>) and x2 (index j among <paramref name="images2"/>)
    /// after the readout. <paramref name="rowParallel"/>: share each stage's output rows among the cores (a large full-layout pair).
    /// </summary>
    public (double Nngp, double Ntk) Pair(Work w, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2, Images images1, int i, Images images2, int j,
        bool withNtk, ParallelOptions? rowParallel)
    {
        InputCovariance(w, x1, x2);
        if (withNtk) w.B.AsSpan(0, Pairs(_input.Pixels)).Clear();
        foreach (var step in _steps)
        {
            if (step.Conv is { } conv) ConvStep(w, step, conv, images1, i, images2, j, withNtk, fuse: true, rowParallel);
            else Activate(w, step, images1, i, images2, j, withNtk, rowParallel);
        }
        double nngp = Readout(w, w.A), ntk = withNtk ? Readout(w, w.B) : 0;
        return (nngp, ntk);
    }

    /// <summary>
    /// The self pass of image x (index <paramref name="image"/> of <paramref name="count"/>), in double: K(x, x) through
    /// every stage, each activation's input pixel variances (the state's diagonal) checked and recorded into
    /// <paramref name="record"/>[slot][p·count + image] before the activation maps the state (the diagonal by
    /// <see cref="Activation.Variance"/>, as the reference rule); returns the readout's value.
    /// </summary>
    /// <exception cref="NonGaussianInputException">Variances a composed activation cannot integrate.</exception>
    public double Self(Work w, ReadOnlySpan<double> x, double[][] record, int image, int count, ParallelOptions? rowParallel)
    {
        if (typeof(T) != typeof(double)) throw new InvalidOperationException("The self pass runs in double.");
        InputCovariance(w, x, x);
        foreach (var step in _steps)
        {
            if (step.Conv is { } conv) ConvStep(w, step, conv, null!, 0, null!, 0, withNtk: false, fuse: false, rowParallel);
            if (step.Activation is not { } act) continue;
            int P = step.Conv is null ? step.PixelsIn : step.PixelsOut;
            var own = new Images([new T[P]], [new T[P]], [new T[P]], [P]);
            var q = new double[P];
            for (int p = 0; p < P; p++) q[p] = double.CreateTruncating(w.A[_full ? p * P + p : p]);
            act.CheckInputVariances(q);
            for (int p = 0; p < P; p++)
            {
                record[step.Slot][p * count + image] = q[p];
                double r = Math.Sqrt(Math.Max(q[p], 0));
                own.Cov[0][p] = T.CreateTruncating(q[p]); own.Sqrt[0][p] = T.CreateTruncating(r); own.Inv[0][p] = T.CreateTruncating(r > 0 ? 1 / r : 0);
            }
            if (_full) Activate(w, step with { Slot = 0, PixelsIn = P }, own, 0, own, 0, withNtk: false, rowParallel);
            for (int p = 0; p < P; p++) w.A[_full ? p * P + p : p] = T.CreateTruncating(act.Variance(q[p]));
        }
        return Readout(w, w.A);
    }

    /// <summary>The readout of a final state (in double, the readout's own rule).</summary>
    private double Readout(Work w, T[] state)
    {
        int pairs = Pairs(_last.Pixels);
        for (int u = 0; u < pairs; u++) w.Final[u] = double.CreateTruncating(state[u]);
        Span<double> o = stackalloc double[1];
        _readout.ReduceOne(w.Final, _last.Pixels, _full, o);
        return o[0];
    }

    /// <summary>K[p, p'] = Σ_c x1[p, c]·x2[p', c]/C in double, rounded once to T (docs/MATH.md §2).</summary>
    private void InputCovariance(Work w, ReadOnlySpan<double> x1, ReadOnlySpan<double> x2)
    {
        int P = _input.Pixels, C = _input.Channels;
        if (!_full)
        {
            for (int p = 0; p < P; p++)
            {
                double s = 0;
                for (int c = 0; c < C; c++) s += x1[p * C + c] * x2[p * C + c];
                w.A[p] = T.CreateTruncating(s / C);
            }
            return;
        }
        var x2t = w.X2T;   // x2 channel-major: x2t[c·P + q]
        for (int q = 0; q < P; q++) for (int c = 0; c < C; c++) x2t[c * P + q] = x2[q * C + c];
        Span<double> row = P <= 4096 ? stackalloc double[P] : new double[P];
        for (int p = 0; p < P; p++)
        {
            row.Clear();
            for (int c = 0; c < C; c++)
            {
                double a = x1[p * C + c];
                var src = x2t.AsSpan(c * P, P);
                for (int q = 0; q < P; q++) row[q] += a * src[q];
            }
            var dst = w.A.AsSpan(p * P, P);
            for (int q = 0; q < P; q++) dst[q] = T.CreateTruncating(row[q] / C);
        }
    }

    private void ConvStep(Work w, Step step, Conv conv, Images images1, int i, Images images2, int j, bool withNtk, bool fuse, ParallelOptions? rowParallel)
    {
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

    /// <summary>An activation alone (not after a convolution), in place.</summary>
    private void Activate(Work w, Step step, Images images1, int i, Images images2, int j, bool withNtk, ParallelOptions? rowParallel)
    {
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

    /// <summary>Runs body(from, to) over [0, rows): on the calling thread, or in contiguous blocks on the cores.</summary>
    private static void ForRows(int rows, ParallelOptions? parallel, Action<int, int> body)
    {
        if (parallel is null) { body(0, rows); return; }
        int blocks = Math.Min(rows, Workers(parallel) * 8);
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
