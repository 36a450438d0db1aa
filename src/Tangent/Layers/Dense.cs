using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Fully connected layer (docs/MATH.md §2). 'ntk' parameterization: z = (σw/√n_in)·W·h + σb·b with
/// W, b ~ N(0, 1); kernel rule nngp' = σw²·nngp + σb², ntk' = nngp' + σw²·ntk (Jacot et al. 2018;
/// Neural Tangents <c>stax.Dense</c>). 'standard': z = W·h + b with W ~ N(0, σw²/n_in), b ~ N(0, σb²);
/// nngp' as before, ntk' = n_in·nngp + σw²·ntk (+1 when the layer has a bias, i.e. σb ≠ 0)
/// (Sohl-Dickstein et al. 2020, arXiv 2001.07301, width scale s = 1). A frozen layer (fixed at its
/// initialisation, not trained; Arora et al. 2020) keeps the NNGP rule and drops its own parameters' share of
/// the NTK: ntk' = σw²·ntk in both parameterizations (docs/MATH.md, "Frozen layers").
/// </summary>
public sealed class Dense : Layer
{
    /// <summary>Creates a dense layer.</summary>
    /// <param name="weightStd">σw ≥ 0.</param>
    /// <param name="biasStd">σb ≥ 0; 0 means no bias parameter.</param>
    /// <param name="parameterization">'ntk' (default) or 'standard'.</param>
    /// <param name="width">Output units of the finite twin and, for the 'standard' NTK, the input
    /// width of the next dense layer; null = infinite (finite twins then use the network width).</param>
    /// <param name="frozen">True: the layer is fixed at its initialisation (its parameters are drawn but not
    /// trained, and contribute nothing to the NTK).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite σ, or width &lt; 1.</exception>
    public Dense(double weightStd = 1, double biasStd = 0, Parameterization parameterization = Parameterization.Ntk, int? width = null, bool frozen = false)
    {
        if (!(weightStd >= 0) || !double.IsFinite(weightStd))
            throw new ArgumentOutOfRangeException(nameof(weightStd), $"dense: w (σw) must be a finite number ≥ 0, got {weightStd}.");
        if (!(biasStd >= 0) || !double.IsFinite(biasStd))
            throw new ArgumentOutOfRangeException(nameof(biasStd), $"dense: b (σb) must be a finite number ≥ 0, got {biasStd}.");
        if (width is < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"dense: width must be ≥ 1, got {width}.");
        WeightStd = weightStd;
        BiasStd = biasStd;
        Parameterization = parameterization;
        Width = width;
        Frozen = frozen;
    }

    /// <summary>σw.</summary>
    public double WeightStd { get; }
    /// <summary>σb (0: no bias parameter).</summary>
    public double BiasStd { get; }
    /// <summary>The parameterization.</summary>
    public Parameterization Parameterization { get; }
    /// <summary>Output width, null = infinite.</summary>
    public int? Width { get; }
    /// <summary>True when the layer has a bias parameter (σb ≠ 0).</summary>
    public bool HasBias => BiasStd != 0;
    /// <summary>True when the layer is fixed at its initialisation: not trained, no share of the NTK (Arora et al. 2020).</summary>
    public bool Frozen { get; }

    /// <summary>This layer with <see cref="Frozen"/> set to <paramref name="frozen"/> (every other parameter kept).</summary>
    public Dense WithFrozen(bool frozen) => frozen == Frozen ? this : new Dense(WeightStd, BiasStd, Parameterization, Width, frozen);

    /// <inheritdoc />
    public override KernelState Apply(KernelState state)
    {
        double w2 = WeightStd * WeightStd, b2 = BiasStd * BiasStd;
        double nngp = w2 * state.Nngp + b2;
        double ntk = Frozen ? w2 * state.Ntk
            : Parameterization == Parameterization.Ntk
            ? nngp + w2 * state.Ntk
            : RequireInputWidth(state.Width) * state.Nngp + w2 * state.Ntk + (HasBias ? 1 : 0);
        return state with { Nngp = nngp, Ntk = ntk, Cov1 = w2 * state.Cov1 + b2, Cov2 = w2 * state.Cov2 + b2, Width = Width, IsGaussian = true };
    }

    private int RequireInputWidth(int? width) => width ?? throw new InvalidOperationException(
        $"{this}: the 'standard' parameterization's NTK grows with the input width n_in, which is unknown here. " +
        "Give the previous dense layer a width (e.g. dense(w=1,width=512)); the first layer's input width is the input dimension d.");

    /// <inheritdoc />
    internal override int? OutputWidth(int? inputWidth) => Width;

    /// <inheritdoc />
    internal override bool EndsWithDense => true;

    /// <inheritdoc />
    internal override bool StartsWithDense => true;

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass)
    {
        pass.Record();
        if (Parameterization == Parameterization.Standard && !Frozen) RequireInputWidth(pass.Width);
        double w2 = WeightStd * WeightStd, b2 = BiasStd * BiasStd;
        foreach (ref double c in pass.Cov.AsSpan()) c = w2 * c + b2;
        pass.Width = Width;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void Row(RowPass pass)
    {
        var slot = pass.Slots1[pass.Slot++];
        double w2 = WeightStd * WeightStd, b2 = BiasStd * BiasStd;
        Span<double> nngp = pass.NngpRow, ntk = pass.NtkRow;
        if (!pass.WithNtk) { Affine(nngp, w2, b2); return; }
        if (Frozen)
        {
            // Only the earlier layers' parameters are trained: Θ' = σw²·Θ (docs/MATH.md, "Frozen layers").
            Affine(nngp, w2, b2);
            Affine(ntk, w2, 0);
        }
        else if (Parameterization == Parameterization.Ntk)
        {
            Affine(nngp, w2, b2);
            AddScaled(ntk, w2, nngp);
        }
        else
        {
            double nIn = RequireInputWidth(slot.Width), one = HasBias ? 1 : 0;
            for (int j = 0; j < nngp.Length; j++) ntk[j] = nIn * nngp[j] + w2 * ntk[j] + one;
            Affine(nngp, w2, b2);
        }
    }

    /// <summary>y ← a·y + x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddScaled(Span<double> y, double a, ReadOnlySpan<double> x)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            ref double ry = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            ref double rx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; j + 4 <= y.Length; j += 4)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref ry, (nuint)j), va, Vector256.LoadUnsafe(ref rx, (nuint)j)).StoreUnsafe(ref ry, (nuint)j);
        }
        for (; j < y.Length; j++) y[j] = a * y[j] + x[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Affine(Span<double> x, double a, double b)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b);
            ref double r = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; j + 4 <= x.Length; j += 4)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r, (nuint)j), va, vb).StoreUnsafe(ref r, (nuint)j);
        }
        for (; j < x.Length; j++) x[j] = a * x[j] + b;
    }

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng) => new FiniteDense(this, inputWidth, Width ?? width, rng);

    /// <inheritdoc />
    public override string ToString()
    {
        if (WeightStd == 1 && BiasStd == 0 && Parameterization == Parameterization.Ntk && Width is null && !Frozen) return "dense";
        var parts = new List<string> { "w=" + Fmt(WeightStd) };
        if (BiasStd != 0) parts.Add("b=" + Fmt(BiasStd));
        if (Parameterization == Parameterization.Standard) parts.Add("param=standard");
        if (Width is { } n) parts.Add("width=" + n.ToString(CultureInfo.InvariantCulture));
        if (Frozen) parts.Add("frozen=true");
        return $"dense({string.Join(",", parts)})";
    }

    internal static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The finite twin: z = s·h·Wᵀ + sb·b with the scale folded into the GEMM's α (one GEMM per pass
    /// through the provider). Inside a <see cref="FiniteScope"/> (a network's training step or NTK) its
    /// output and input-gradient matrices are reused between passes of the same shape (no n×width
    /// allocation per step) and the gradient with respect to the network's own input is not computed.
    /// A frozen layer draws its parameters as usual (the same draws as the trained layer) but does not list
    /// them as trainable and adds nothing to the NTK or the gradients.
    /// </summary>
    private sealed class FiniteDense : FiniteLayer
    {
        private readonly Dense _layer;
        private readonly Matrix _w;          // n_out × n_in
        private readonly Matrix? _b;         // 1 × n_out
        private readonly double _scale;      // multiplies W·h: σw/√n_in ('ntk') or 1 ('standard')
        private readonly double _biasScale;  // multiplies b: σb ('ntk') or 1 ('standard')
        private readonly double[]? _bias;    // σb·b, refreshed on every forward pass
        private Matrix? _input, _out, _dIn;

        public FiniteDense(Dense layer, int nIn, int nOut, Random rng)
        {
            _layer = layer;
            bool standard = layer.Parameterization == Parameterization.Standard;
            double wStd = standard ? layer.WeightStd / Math.Sqrt(nIn) : 1;
            double bStd = standard ? layer.BiasStd : 1;
            _w = new Matrix(nOut, nIn);
            FillGaussian(_w.Data, wStd, rng);
            _b = layer.HasBias ? new Matrix(1, nOut) : null;
            if (_b is not null) { FillGaussian(_b.Data, bStd, rng); _bias = new double[nOut]; }
            _scale = standard ? 1 : layer.WeightStd / Math.Sqrt(nIn);
            _biasScale = standard ? 1 : layer.BiasStd;
        }

        public override int OutputWidth => _w.Rows;

        public override IEnumerable<Matrix> Parameters => _layer.Frozen ? [] : _b is null ? [_w] : [_w, _b];

        public override Matrix Forward(Matrix h)
        {
            ArgumentNullException.ThrowIfNull(h);
            if (h.Cols != _w.Cols)
                throw new ArgumentException($"{_layer}: expected inputs with {_w.Cols} columns, got {h.Shape}.", nameof(h));
            _input = h;
            var z = FiniteScope.Output(ref _out, h.Rows, _w.Rows);
            LinearAlgebra.Provider.Gemm(Op.None, Op.Transpose, h.Rows, _w.Rows, h.Cols, _scale, h.Data, Math.Max(h.Cols, 1),
                _w.Data, Math.Max(_w.Cols, 1), 0, z.Data, Math.Max(_w.Rows, 1));
            if (_b is null) return z;
            var bias = _bias!;
            TensorPrimitives.Multiply(_b.Data, _biasScale, bias);
            System.Threading.Tasks.Parallel.For(0, z.Rows, FiniteScope.ParallelOptionsFor(z.Data.Length), a =>
            {
                var r = z.Row(a);
                TensorPrimitives.Add(r, bias, r);
            });
            return z;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            ArgumentNullException.ThrowIfNull(delta);
            ArgumentNullException.ThrowIfNull(into);
            var h = _input ?? throw new InvalidOperationException("Backward before Forward.");
            if (into.Ntk is { } ntk && !_layer.Frozen)
            {
                // ∂f/∂W = scale·δ·hᵀ, ∂f/∂b = biasScale·δ: the NTK gains scale²·(h·h')(δ·δ') + biasScale²·(δ·δ').
                var dd = LinearAlgebra.Gram(delta);
                var hh = LinearAlgebra.Gram(h);
                double s2 = _scale * _scale, b2 = _b is null ? 0 : _biasScale * _biasScale;
                var t = ntk.Data; var hd = hh.Data; var ddd = dd.Data;
                for (int k = 0; k < t.Length; k++) t[k] += (s2 * hd[k] + b2) * ddd[k];
            }
            if (!_layer.Frozen && into.Gradient(_w) is { } gw)
            {
                // ∂L/∂W = scale·δᵀ·h (n_out × n_in), accumulated.
                LinearAlgebra.Provider.Gemm(Op.Transpose, Op.None, _w.Rows, _w.Cols, delta.Rows, _scale, delta.Data, Math.Max(delta.Cols, 1),
                    h.Data, Math.Max(h.Cols, 1), 1, gw.Data, Math.Max(_w.Cols, 1));
            }
            if (_b is not null && !_layer.Frozen && into.Gradient(_b) is { } gb)
            {
                var acc = gb.Data.AsSpan();
                for (int a = 0; a < delta.Rows; a++) TensorPrimitives.MultiplyAdd(delta.Row(a), _biasScale, acc, acc);
            }
            // The network's own input needs no gradient: skip the n×n_out×n_in GEMM (zeros of the input's shape).
            if (FiniteScope.IsNetworkInput(h)) return FiniteScope.Zeros(ref _dIn, h.Rows, h.Cols);
            var dIn = FiniteScope.Output(ref _dIn, delta.Rows, _w.Cols);
            LinearAlgebra.Provider.Gemm(Op.None, Op.None, delta.Rows, _w.Cols, _w.Rows, _scale, delta.Data, Math.Max(delta.Cols, 1),
                _w.Data, Math.Max(_w.Cols, 1), 0, dIn.Data, Math.Max(_w.Cols, 1));
            return dIn;
        }
    }

    /// <summary>Fills with N(0, std²) draws: Box–Muller, two per pair, with the logarithm, square
    /// root and sine/cosine vectorised (TensorPrimitives).</summary>
    internal static void FillGaussian(Span<double> x, double std, Random rng)
    {
        int half = (x.Length + 1) / 2;
        var pool = System.Buffers.ArrayPool<double>.Shared;
        double[] r = pool.Rent(half), t = pool.Rent(half), sin = pool.Rent(half), cos = pool.Rent(half);
        try
        {
            var rs = r.AsSpan(0, half); var ts = t.AsSpan(0, half);
            for (int k = 0; k < half; k++) { rs[k] = 1.0 - rng.NextDouble(); ts[k] = rng.NextDouble(); }
            TensorPrimitives.Log(rs, rs);
            TensorPrimitives.Multiply(rs, -2.0 * std * std, rs);
            TensorPrimitives.Sqrt(rs, rs);
            TensorPrimitives.Multiply(ts, 2 * Math.PI, ts);
            TensorPrimitives.SinCos(ts, sin.AsSpan(0, half), cos.AsSpan(0, half));
            for (int k = 0; k < half; k++)
            {
                x[2 * k] = rs[k] * cos[k];
                if (2 * k + 1 < x.Length) x[2 * k + 1] = rs[k] * sin[k];
            }
        }
        finally { pool.Return(r); pool.Return(t); pool.Return(sin); pool.Return(cos); }
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    internal static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>
/// One pass of a network over a batch (a training step, an empirical NTK) during which finite layers may
/// reuse their work matrices (outputs, input gradients) between passes of the same shape, so that a
/// training loop allocates no n×width matrix per step, and may skip the gradient with respect to the
/// network's input. Outside a scope every pass returns fresh matrices (safe to keep). Per thread; a
/// matrix returned inside a scope is valid until the same layer's next pass.
/// </summary>
internal sealed class FiniteScope : IDisposable
{
    [ThreadStatic] private static FiniteScope? _current;
    private readonly FiniteScope? _outer;
    private readonly Matrix _input;

    private FiniteScope(Matrix input) { _input = input; _outer = _current; _current = this; }

    /// <summary>Opens a scope on this thread for a pass whose network input is <paramref name="input"/>.</summary>
    public static FiniteScope Enter(Matrix input) => new(input);

    /// <inheritdoc />
    public void Dispose() => _current = _outer;

    /// <summary>True inside a scope.</summary>
    public static bool Active => _current is not null;

    /// <summary>True when <paramref name="h"/> is the network's input of the current scope (its gradient is never read).</summary>
    public static bool IsNetworkInput(Matrix h) => _current is { } s && ReferenceEquals(s._input, h);

    /// <summary>A rows×cols matrix to be overwritten entirely: inside a scope the cached one when its shape
    /// fits (not zeroed), else a fresh one (cached when inside a scope).</summary>
    public static Matrix Output(ref Matrix? cache, int rows, int cols)
    {
        if (!Active) return new Matrix(rows, cols);
        if (cache is null || cache.Rows != rows || cache.Cols != cols)
            cache = new Matrix(rows, cols, GC.AllocateUninitializedArray<double>(rows * cols));
        return cache;
    }

    /// <summary>A zeroed rows×cols matrix (reused inside a scope).</summary>
    public static Matrix Zeros(ref Matrix? cache, int rows, int cols)
    {
        var m = Output(ref cache, rows, cols);
        if (Active) Array.Clear(m.Data);
        return m;
    }

    /// <summary>o = a·min(h, 0) + b·max(h, 0), vectorised, row-parallel on large matrices.</summary>
    public static void AbRelu(Matrix h, Matrix o, double a0, double b0)
    {
        int cols = h.Cols;
        System.Threading.Tasks.Parallel.For(0, h.Rows, ParallelOptionsFor(h.Data.Length), a =>
        {
            var hr = h.Row(a); var or = o.Row(a);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(a0); var vb = Vector256.Create(b0);
                for (; j + 4 <= cols; j += 4)
                {
                    var v = Vector256.Create<double>(hr.Slice(j, 4));
                    Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<double>.Zero), va * v, vb * v).CopyTo(or.Slice(j, 4));
                }
            }
            for (; j < cols; j++) { double v = hr[j]; or[j] = v < 0 ? a0 * v : b0 * v; }
        });
    }

    /// <summary>d = δ ⊙ (z &lt; 0 ? a : b), the (a,b)-ReLU's backward pass in one fused, vectorised pass.</summary>
    public static void AbReluBackward(Matrix z, Matrix delta, Matrix d, double a0, double b0)
    {
        int cols = z.Cols;
        System.Threading.Tasks.Parallel.For(0, z.Rows, ParallelOptionsFor(z.Data.Length), a =>
        {
            var zr = z.Row(a); var dr = delta.Row(a); var or = d.Row(a);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(a0); var vb = Vector256.Create(b0);
                for (; j + 4 <= cols; j += 4)
                {
                    var m = Vector256.LessThan(Vector256.Create<double>(zr.Slice(j, 4)), Vector256<double>.Zero);
                    (Vector256.Create<double>(dr.Slice(j, 4)) * Vector256.ConditionalSelect(m, va, vb)).CopyTo(or.Slice(j, 4));
                }
            }
            for (; j < cols; j++) or[j] = dr[j] * (zr[j] < 0 ? a0 : b0);
        });
    }

    private static readonly ParallelOptions Serial1 = new() { MaxDegreeOfParallelism = 1 };
    private static readonly ParallelOptions Many = new();

    /// <summary>Row-parallel loops only pay off on large matrices.</summary>
    public static ParallelOptions ParallelOptionsFor(int entries) => entries < 65536 ? Serial1 : Many;
}
