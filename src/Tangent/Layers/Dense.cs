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
/// (Sohl-Dickstein et al. 2020, arXiv 2001.07301, width scale s = 1).
/// </summary>
public sealed class Dense : Layer
{
    /// <summary>Creates a dense layer.</summary>
    /// <param name="weightStd">σw ≥ 0.</param>
    /// <param name="biasStd">σb ≥ 0; 0 means no bias parameter.</param>
    /// <param name="parameterization">'ntk' (default) or 'standard'.</param>
    /// <param name="width">Output units of the finite twin and, for the 'standard' NTK, the input
    /// width of the next dense layer; null = infinite (finite twins then use the network width).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite σ, or width &lt; 1.</exception>
    public Dense(double weightStd = 1, double biasStd = 0, Parameterization parameterization = Parameterization.Ntk, int? width = null)
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

    /// <inheritdoc />
    public override KernelState Apply(KernelState state)
    {
        double w2 = WeightStd * WeightStd, b2 = BiasStd * BiasStd;
        double nngp = w2 * state.Nngp + b2;
        double ntk = Parameterization == Parameterization.Ntk
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
    internal override void Diagonal(DiagonalPass pass)
    {
        pass.Record();
        if (Parameterization == Parameterization.Standard) RequireInputWidth(pass.Width);
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
        if (Parameterization == Parameterization.Ntk)
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
        if (WeightStd == 1 && BiasStd == 0 && Parameterization == Parameterization.Ntk && Width is null) return "dense";
        var parts = new List<string> { "w=" + Fmt(WeightStd) };
        if (BiasStd != 0) parts.Add("b=" + Fmt(BiasStd));
        if (Parameterization == Parameterization.Standard) parts.Add("param=standard");
        if (Width is { } n) parts.Add("width=" + n.ToString(CultureInfo.InvariantCulture));
        return $"dense({string.Join(",", parts)})";
    }

    internal static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private sealed class FiniteDense : FiniteLayer
    {
        private readonly Dense _layer;
        private readonly Matrix _w;          // n_out × n_in
        private readonly Matrix? _b;         // 1 × n_out
        private readonly double _scale;      // multiplies W·h: σw/√n_in ('ntk') or 1 ('standard')
        private readonly double _biasScale;  // multiplies b: σb ('ntk') or 1 ('standard')
        private Matrix? _input;

        public FiniteDense(Dense layer, int nIn, int nOut, Random rng)
        {
            _layer = layer;
            bool standard = layer.Parameterization == Parameterization.Standard;
            double wStd = standard ? layer.WeightStd / Math.Sqrt(nIn) : 1;
            double bStd = standard ? layer.BiasStd : 1;
            _w = new Matrix(nOut, nIn);
            FillGaussian(_w.Data, wStd, rng);
            _b = layer.HasBias ? new Matrix(1, nOut) : null;
            if (_b is not null) FillGaussian(_b.Data, bStd, rng);
            _scale = standard ? 1 : layer.WeightStd / Math.Sqrt(nIn);
            _biasScale = standard ? 1 : layer.BiasStd;
        }

        public override int OutputWidth => _w.Rows;

        public override IEnumerable<Matrix> Parameters => _b is null ? [_w] : [_w, _b];

        public override Matrix Forward(Matrix h)
        {
            if (h.Cols != _w.Cols)
                throw new ArgumentException($"{_layer}: expected inputs with {_w.Cols} columns, got {h.Shape}.", nameof(h));
            _input = h;
            var z = LinearAlgebra.Multiply(h, _w, Op.None, Op.Transpose);
            for (int i = 0; i < z.Rows; i++)
            {
                var row = z.Row(i);
                for (int j = 0; j < row.Length; j++) row[j] = _scale * row[j] + (_b is null ? 0 : _biasScale * _b.Data[j]);
            }
            return z;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var h = _input ?? throw new InvalidOperationException("Backward before Forward.");
            if (into.Ntk is { } ntk)
            {
                // ∂f/∂W = scale·δ·hᵀ, ∂f/∂b = biasScale·δ: the NTK gains scale²·(h·h')(δ·δ') + biasScale²·(δ·δ').
                var dd = LinearAlgebra.Multiply(delta, delta, Op.None, Op.Transpose);
                var hh = LinearAlgebra.Multiply(h, h, Op.None, Op.Transpose);
                double s2 = _scale * _scale, b2 = _b is null ? 0 : _biasScale * _biasScale;
                for (int k = 0; k < ntk.Data.Length; k++) ntk.Data[k] += (s2 * hh.Data[k] + b2) * dd.Data[k];
            }
            if (into.Gradient(_w) is { } gw)
            {
                // ∂L/∂W = scale·δᵀ·h (n_out × n_in), accumulated.
                LinearAlgebra.Provider.Gemm(Op.Transpose, Op.None, _w.Rows, _w.Cols, delta.Rows, _scale, delta.Data, Math.Max(delta.Cols, 1),
                    h.Data, Math.Max(h.Cols, 1), 1, gw.Data, Math.Max(_w.Cols, 1));
            }
            if (_b is not null && into.Gradient(_b) is { } gb)
            {
                for (int a = 0; a < delta.Rows; a++)
                {
                    var row = delta.Row(a);
                    for (int j = 0; j < row.Length; j++) gb.Data[j] += _biasScale * row[j];
                }
            }
            var dIn = LinearAlgebra.Multiply(delta, _w);
            for (int k = 0; k < dIn.Data.Length; k++) dIn.Data[k] *= _scale;
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
