using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Convolution (Neural Tangents <c>stax.Conv</c>, 'ntk' parameterization): z[p, c'] =
/// σw/√(|F|·C)·Σ_{δ∈F, c} W[δ, c, c']·h[p·s + δ, c] + σb·b[c'], W, b ~ N(0, 1). Kernel rule on the
/// pixel-pair covariance (Arora et al. 2019, eq. 7; Novak et al. 2019): K'[p, p'] =
/// σw²·(1/|F|)·Σ_δ K[p + δ, p' + δ] + σb² (zero-padded terms count as 0), Θ'[p, p'] = K'[p, p'] +
/// σw²·(1/|F|)·Σ_δ Θ[p + δ, p' + δ]. The rule is written once (<see cref="Map"/>) on the window's index
/// table, so <see cref="ConvTranspose"/> is this layer with another table. A frozen convolution (fixed at its
/// initialisation, Arora et al. 2020) drops its own share of the NTK: Θ'[p, p'] = σw²·(1/|F|)·Σ_δ Θ[p + δ, p' + δ].
/// </summary>
public class Conv : ImageLayer
{
    private readonly string _name;

    /// <summary>Creates a convolution.</summary>
    /// <param name="size">Filter size k (k×k for 2-D, 1×k for 1-D).</param>
    /// <param name="weightStd">σw ≥ 0.</param>
    /// <param name="biasStd">σb ≥ 0.</param>
    /// <param name="stride">Stride ≥ 1 along each convolved axis.</param>
    /// <param name="padding">Border handling.</param>
    /// <param name="dimensions">2 for images, 1 for signals (1×L×C: the filter runs along the width).</param>
    /// <param name="channels">Output channels of the finite twin; null = the network width.</param>
    /// <param name="frozen">True: fixed at its initialisation (not trained, no share of the NTK).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride, σ or dimension out of range.</exception>
    public Conv(int size = 3, double weightStd = 1, double biasStd = 0, int stride = 1, Padding padding = Padding.Same, int dimensions = 2, int? channels = null, bool frozen = false)
        : this("conv", size, weightStd, biasStd, stride, padding, dimensions, channels, frozen) { }

    /// <summary>Checks and stores the parameters; <paramref name="name"/> is the spec name the messages and <see cref="ToString"/> use.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride, σ or dimension out of range.</exception>
    private protected Conv(string name, int size, double weightStd, double biasStd, int stride, Padding padding, int dimensions, int? channels, bool frozen)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"{name}: size must be ≥ 1, got {size}.");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"{name}: stride must be ≥ 1, got {stride}.");
        if (dimensions is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(dimensions), $"{name}: dims must be 1 or 2, got {dimensions}.");
        if (!(weightStd >= 0) || !double.IsFinite(weightStd)) throw new ArgumentOutOfRangeException(nameof(weightStd), $"{name}: w (σw) must be a finite number ≥ 0, got {weightStd}.");
        if (!(biasStd >= 0) || !double.IsFinite(biasStd)) throw new ArgumentOutOfRangeException(nameof(biasStd), $"{name}: b (σb) must be a finite number ≥ 0, got {biasStd}.");
        if (channels is < 1) throw new ArgumentOutOfRangeException(nameof(channels), $"{name}: channels must be ≥ 1, got {channels}.");
        _name = name;
        Size = size; WeightStd = weightStd; BiasStd = biasStd; Stride = stride; Padding = padding; Dimensions = dimensions; Channels = channels;
        Frozen = frozen;
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
    /// <summary>True when the layer is fixed at its initialisation: not trained, no share of the NTK (Arora et al. 2020).</summary>
    public bool Frozen { get; }

    /// <summary>This layer (a conv or a conv_transpose) with <see cref="Frozen"/> set to <paramref name="frozen"/>, every other parameter kept.</summary>
    public Conv WithFrozen(bool frozen) => frozen == Frozen ? this : Copy(frozen);

    /// <summary>A copy with another <see cref="Frozen"/> flag (of the same class).</summary>
    private protected virtual Conv Copy(bool frozen) => new(Size, WeightStd, BiasStd, Stride, Padding, Dimensions, Channels, frozen);

    internal override bool EndsWithDense => true;

    /// <inheritdoc />
    internal override int? OutputWidth(int? inputWidth) => Channels;

    /// <summary>For each output pixel and tap, the input pixel read (−1: zero padding).</summary>
    internal virtual WindowGeometry Geometry(ImageShape input) => Dimensions == 2
        ? new WindowGeometry(input.Height, input.Width, Size, Size, Stride, Stride, Padding, ToString())
        : new WindowGeometry(input.Height, input.Width, 1, Size, 1, Stride, Padding, ToString());

    internal override WindowGeometry? Window(ImageShape input) => Geometry(input);

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input)
    {
        var g = Geometry(input);
        return new ImageShape(g.OutHeight, g.OutWidth, Channels ?? input.Channels);
    }

    /// <inheritdoc />
    public override ImageKernelState Apply(ImageKernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var g = Geometry(state.Shape);
        int pairs = state.IsFull ? g.OutPixels * g.OutPixels : g.OutPixels;
        double[] nngp = new double[pairs], ntk = new double[pairs], cov1 = new double[pairs], cov2 = new double[pairs];
        Map(g, state.Pixels, state.IsFull, state.Nngp, state.Ntk, nngp, ntk);
        Map(g, state.Pixels, state.IsFull, state.Cov1, null, cov1, null);
        Map(g, state.Pixels, state.IsFull, state.Cov2, null, cov2, null);
        return new ImageKernelState(OutputShape(state.Shape), state.Layout, nngp, ntk, cov1, cov2, IsGaussian: true);
    }

    internal override void SelfStep(ImageSelfPass pass)
    {
        var g = pass.Window!;
        var o = new double[pass.Full ? g.OutPixels * g.OutPixels : g.OutPixels];
        Map(g, pass.Pixels, pass.Full, pass.K, null, o, null);
        pass.K = o;
    }

    internal override void TileStep(ImageTilePass pass)
    {
        MapTile(pass, null, 0);
        pass.Swap();
    }

    /// <summary>
    /// This convolution and the activation <paramref name="next"/> after it in one sweep over the output pixel pairs:
    /// each pair's segment is summed over the taps, scaled, and mapped by the activation while it is in the
    /// first-level cache (<see cref="Activation.TilePixel"/>), instead of two sweeps over buffers of P·len values
    /// that do not fit it. The arithmetic is that of the two steps one after the other (docs/PERFORMANCE.md, "CNTK").
    /// </summary>
    internal override void TileStepFused(ImageTilePass pass, Layer next)
    {
        MapTile(pass, (Activation)next, pass.Slot++);
        pass.Swap();
    }

    /// <inheritdoc />
    internal override bool FusesWith(Layer next) => next is Activation and not Identity;

    /// <summary>
    /// The tile form of <see cref="Map"/> (len &gt; 1) from pass.A/B into pass.A2/B2, the tap sums of a vector of
    /// segment positions kept in registers; when <paramref name="next"/> is given, its rule follows on each output pair.
    /// The same sums in the same order as <see cref="Map"/>, so the results are the same to the bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MapTile(ImageTilePass pass, Activation? next, int slot)
    {
        var g = pass.Window!;
        int pin = pass.Pixels, len = pass.Len, po = g.OutPixels, f = g.WindowSize;
        bool full = pass.Full, withNtk = pass.WithNtk;
        double w2 = WeightStd * WeightStd / f, b2 = BiasStd * BiasStd, own = Frozen ? 0 : 1;
        int outPairs = full ? po * po : po;
        double[] k = pass.A, t = pass.B, kOut = pass.A2, tOut = pass.B2;
        Span<int> src = f <= 256 ? stackalloc int[f] : new int[f];
        for (int u = 0; u < outPairs; u++)
        {
            int o1 = full ? u / po : u, o2 = full ? u % po : u, taps = 0;
            for (int tap = 0; tap < f; tap++)
            {
                int ip = g.Index[o1 * f + tap], iq = g.Index[o2 * f + tap];
                if (ip >= 0 && iq >= 0) src[taps++] = (full ? ip * pin + iq : ip) * len;
            }
            int dst = u * len;
            ConvSum(k, src[..taps], dst, len, w2, b2, kOut);
            if (withNtk) ConvSumNtk(t, src[..taps], dst, len, w2, own, kOut, tOut);
            next?.TilePixel(pass, slot, u, po, kOut, tOut);
        }
    }

    /// <summary>kOut[dst + j] = w2·Σ_taps k[src + j] + b2 for j &lt; len (the sum from 0 in tap order, no fused multiply-add, as <see cref="Map"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConvSum(double[] k, ReadOnlySpan<int> src, int dst, int len, double w2, double b2, double[] kOut)
    {
        ref double rk = ref MemoryMarshal.GetArrayDataReference(k);
        ref double ro = ref MemoryMarshal.GetArrayDataReference(kOut);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w2); var vb = Vector256.Create(b2);
            for (; j + 8 <= len; j += 8)
            {
                var a0 = Vector256<double>.Zero; var a1 = Vector256<double>.Zero;
                foreach (int s0 in src)
                {
                    a0 += Vector256.LoadUnsafe(ref rk, (nuint)(s0 + j));
                    a1 += Vector256.LoadUnsafe(ref rk, (nuint)(s0 + j + 4));
                }
                (vw * a0 + vb).StoreUnsafe(ref ro, (nuint)(dst + j));
                (vw * a1 + vb).StoreUnsafe(ref ro, (nuint)(dst + j + 4));
            }
            for (; j + 4 <= len; j += 4)
            {
                var a0 = Vector256<double>.Zero;
                foreach (int s0 in src) a0 += Vector256.LoadUnsafe(ref rk, (nuint)(s0 + j));
                (vw * a0 + vb).StoreUnsafe(ref ro, (nuint)(dst + j));
            }
        }
        for (; j < len; j++)
        {
            double a = 0;
            foreach (int s0 in src) a += k[s0 + j];
            kOut[dst + j] = w2 * a + b2;
        }
    }

    /// <summary>tOut[dst + j] = own·kOut[dst + j] + w2·Σ_taps t[src + j] (as <see cref="Map"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConvSumNtk(double[] t, ReadOnlySpan<int> src, int dst, int len, double w2, double own, double[] kOut, double[] tOut)
    {
        ref double rt = ref MemoryMarshal.GetArrayDataReference(t);
        ref double rk = ref MemoryMarshal.GetArrayDataReference(kOut);
        ref double ro = ref MemoryMarshal.GetArrayDataReference(tOut);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w2); var vo = Vector256.Create(own);
            for (; j + 8 <= len; j += 8)
            {
                var a0 = Vector256<double>.Zero; var a1 = Vector256<double>.Zero;
                foreach (int s0 in src)
                {
                    a0 += Vector256.LoadUnsafe(ref rt, (nuint)(s0 + j));
                    a1 += Vector256.LoadUnsafe(ref rt, (nuint)(s0 + j + 4));
                }
                (vo * Vector256.LoadUnsafe(ref rk, (nuint)(dst + j)) + vw * a0).StoreUnsafe(ref ro, (nuint)(dst + j));
                (vo * Vector256.LoadUnsafe(ref rk, (nuint)(dst + j + 4)) + vw * a1).StoreUnsafe(ref ro, (nuint)(dst + j + 4));
            }
            for (; j + 4 <= len; j += 4)
            {
                var a0 = Vector256<double>.Zero;
                foreach (int s0 in src) a0 += Vector256.LoadUnsafe(ref rt, (nuint)(s0 + j));
                (vo * Vector256.LoadUnsafe(ref rk, (nuint)(dst + j)) + vw * a0).StoreUnsafe(ref ro, (nuint)(dst + j));
            }
        }
        for (; j < len; j++)
        {
            double a = 0;
            foreach (int s0 in src) a += t[s0 + j];
            tOut[dst + j] = own * kOut[dst + j] + w2 * a;
        }
    }

    /// <summary>
    /// The conv rule on one value per pixel pair (the reference and the self pass; <see cref="MapTile"/> is its tile
    /// form, with the same sums in the same order): for each output pair u = (o, o'), K'[u] = σw²/|F|·Σ_δ K[(i(o, δ),
    /// i(o', δ))] + σb² and, when <paramref name="t"/> is given, Θ' = K' + σw²/|F|·Σ_δ Θ[…] (taps reading padding
    /// skipped); a frozen layer leaves out the K' term of Θ'.
    /// </summary>
    private void Map(WindowGeometry g, int pin, bool full, double[] k, double[]? t, double[] kOut, double[]? tOut)
    {
        int po = g.OutPixels, f = g.WindowSize;
        double w2 = WeightStd * WeightStd / f, b2 = BiasStd * BiasStd;
        bool withNtk = t is not null;
        double own = Frozen ? 0 : 1;   // the weight of this layer's own parameters in Θ'
        int outPairs = full ? po * po : po;
        for (int u = 0; u < outPairs; u++)
        {
            int o1 = full ? u / po : u, o2 = full ? u % po : u;
            double sk = 0, st = 0;
            for (int tap = 0; tap < f; tap++)
            {
                int ip = g.Index[o1 * f + tap], iq = g.Index[o2 * f + tap];
                if (ip < 0 || iq < 0) continue;
                int src = full ? ip * pin + iq : ip;
                sk += k[src];
                if (withNtk) st += t![src];
            }
            double kn = w2 * sk + b2;
            kOut[u] = kn;
            if (withNtk) tOut![u] = own * kn + w2 * st;
        }
    }

    internal override (FiniteLayer Layer, ImageShape Output) InitializeImage(ImageShape input, int width, Random rng)
    {
        var g = Geometry(input);
        int cout = Channels ?? width;
        return (new FiniteConv(this, g, input.Channels, cout, rng), new ImageShape(g.OutHeight, g.OutWidth, cout));
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var args = new List<string> { $"size={Size}", $"w={Dense.Fmt(WeightStd)}" };
        if (BiasStd != 0) args.Add($"b={Dense.Fmt(BiasStd)}");
        if (Stride != 1) args.Add($"stride={Stride}");
        if (Padding != DefaultPadding) args.Add($"padding={Padding.ToString().ToLowerInvariant()}");
        if (Dimensions != 2) args.Add($"dims={Dimensions}");
        if (Channels is int c) args.Add($"channels={c}");
        if (Frozen) args.Add("frozen=true");
        return $"{_name}({string.Join(",", args)})";
    }

    /// <summary>The padding the spec text leaves out (same for conv, valid for conv_transpose, as Neural Tangents).</summary>
    private protected virtual Padding DefaultPadding => Padding.Same;

    /// <summary>z[p, c'] = σw/√(|F|·C)·Σ W[δ, c, c']·h[p + δ, c] + σb·b[c'], W, b ~ N(0, 1) ('ntk' parameterization);
    /// a frozen layer's parameters are drawn but neither listed as trainable nor part of the NTK or the gradients.</summary>
    internal sealed class FiniteConv : FiniteLayer
    {
        private readonly bool _frozen;
        private readonly WindowGeometry _g;
        private readonly int _cin, _cout;
        private readonly Matrix _w;       // (|F|·C_in) × C_out
        private readonly Matrix? _b;      // 1 × C_out
        private readonly double _scale, _biasScale;
        private Matrix? _patches;

        public FiniteConv(Conv layer, WindowGeometry g, int cin, int cout, Random rng)
        {
            _g = g; _cin = cin; _cout = cout; _frozen = layer.Frozen;
            _w = new Matrix(g.WindowSize * cin, cout);
            Dense.FillGaussian(_w.Data, 1, rng);
            if (layer.BiasStd != 0) { _b = new Matrix(1, cout); Dense.FillGaussian(_b.Data, 1, rng); }
            _scale = layer.WeightStd / Math.Sqrt(g.WindowSize * cin);
            _biasScale = layer.BiasStd;
        }

        public override int OutputWidth => _g.OutPixels * _cout;
        public override IEnumerable<Matrix> Parameters => _frozen ? [] : _b is null ? [_w] : [_w, _b];

        public override Matrix Forward(Matrix h)
        {
            _patches = WindowGeometry.Patches(h, _g, _cin);
            var z = LinearAlgebra.Multiply(_patches, _w);                    // (n·P_out) × C_out
            for (int r = 0; r < z.Rows; r++)
            {
                var row = z.Row(r);
                for (int j = 0; j < _cout; j++) row[j] = _scale * row[j] + (_b is null ? 0 : _biasScale * _b.Data[j]);
            }
            return new Matrix(h.Rows, OutputWidth, z.Data);                  // rows already in H, W, C order
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var p = _patches ?? throw new InvalidOperationException("Backward before Forward.");
            int n = delta.Rows, po = _g.OutPixels, fc = _g.WindowSize * _cin;
            var d = new Matrix(n * po, _cout, delta.Data);                  // (n·P_out) × C_out
            if (into.Ntk is { } ntk && !_frozen)
            {
                // ∂f_a/∂W = scale·P_aᵀ·D_a; the NTK gains scale²·⟨G_a, G_b⟩ + σb²·⟨Σ_p D_a, Σ_p D_b⟩.
                var g = new Matrix(n, fc * _cout);
                var bsum = new Matrix(n, _cout);
                for (int a = 0; a < n; a++)
                {
                    var pa = new Matrix(po, fc, p.Data.AsSpan(a * po * fc, po * fc).ToArray());
                    var da = new Matrix(po, _cout, d.Data.AsSpan(a * po * _cout, po * _cout).ToArray());
                    LinearAlgebra.Multiply(pa, da, Op.Transpose).Data.CopyTo(g.Row(a));
                    for (int o = 0; o < po; o++) for (int j = 0; j < _cout; j++) bsum[a, j] += da[o, j];
                }
                var gg = LinearAlgebra.Multiply(g, g, Op.None, Op.Transpose);
                var bb = LinearAlgebra.Multiply(bsum, bsum, Op.None, Op.Transpose);
                double s2 = _scale * _scale, b2 = _b is null ? 0 : _biasScale * _biasScale;
                for (int k = 0; k < ntk.Data.Length; k++) ntk.Data[k] += s2 * gg.Data[k] + b2 * bb.Data[k];
            }
            if (!_frozen && into.Gradient(_w) is { } gw)
            {
                // ∂L/∂W = scale·Pᵀ·D over every image and output pixel ((|F|·C_in) × C_out), accumulated.
                LinearAlgebra.Provider.Gemm(Op.Transpose, Op.None, fc, _cout, n * po, _scale, p.Data, Math.Max(fc, 1), d.Data, Math.Max(_cout, 1), 1, gw.Data, Math.Max(_cout, 1));
            }
            if (_b is not null && !_frozen && into.Gradient(_b) is { } gb)
            {
                for (int r = 0; r < n * po; r++) for (int j = 0; j < _cout; j++) gb.Data[j] += _biasScale * d.Data[r * _cout + j];
            }
            var dp = LinearAlgebra.Multiply(d, _w, Op.None, Op.Transpose);   // (n·P_out) × (|F|·C_in)
            for (int k = 0; k < dp.Data.Length; k++) dp.Data[k] *= _scale;
            return WindowGeometry.Scatter(dp, _g, _cin, n);
        }
    }

}
