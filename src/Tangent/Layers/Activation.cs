using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// An elementwise nonlinearity φ (docs/MATH.md §2). With (u, v) ~ N(0, [[q11, q12], [q12, q22]]) its
/// kernel rule is nngp' = E[φ(u)φ(v)], cov' = E[φ(u)²], ntk' = E[φ'(u)φ'(v)]·ntk (Lee et al. 2018;
/// Jacot et al. 2018). Subclasses give the two expectations in closed form, or by quadrature
/// (<see cref="NumericalActivation"/>).
/// </summary>
public abstract class Activation : Layer
{
    /// <summary>φ(x).</summary>
    public abstract double Phi(double x);

    /// <summary>φ'(x) (almost everywhere).</summary>
    public abstract double Derivative(double x);

    /// <summary>E[φ(u)φ(v)], the dual kernel.</summary>
    public abstract double Nngp(double q11, double q12, double q22);

    /// <summary>E[φ'(u)φ'(v)], the factor that multiplies the incoming NTK.</summary>
    public abstract double NtkFactor(double q11, double q12, double q22);

    /// <summary>E[φ(u)²] for u ~ N(0, q): the variance map of the diagonal.</summary>
    public virtual double Variance(double q) => Nngp(q, q, q);

    /// <summary>E[φ'(u)²] for u ~ N(0, q) (used for χ⊥ in <see cref="Criticality"/>).</summary>
    public virtual double DerivativeVariance(double q) => NtkFactor(q, q, q);

    /// <inheritdoc />
    /// <exception cref="NonGaussianInputException">The state is not a Gaussian pre-activation
    /// (<see cref="KernelState.IsGaussian"/> false: the raw input, an activation's output, a concatenation);
    /// <see cref="Identity"/>, a linear map, accepts any state.</exception>
    public override KernelState Apply(KernelState state)
    {
        if (this is Identity) return state;
        if (!state.IsGaussian) throw NonGaussianInputException.ForState(this);
        return state with
        {
            Nngp = Nngp(state.Cov1, state.Nngp, state.Cov2),
            Ntk = HasNtk ? state.Ntk * NtkFactor(state.Cov1, state.Nngp, state.Cov2) : double.NaN,
            Cov1 = Variance(state.Cov1),
            Cov2 = Variance(state.Cov2),
            IsGaussian = false,
        };
    }

    /// <summary>
    /// Called with the input variances q(x) of every input before any kernel entry is computed (the
    /// diagonal pass of both engines), so that an activation whose accuracy depends on q can refuse
    /// up front (<see cref="ComposedActivation"/>). Nothing to check by default.
    /// </summary>
    internal virtual void CheckInputVariances(ReadOnlySpan<double> q) { }

    /// <inheritdoc />
    internal override void Diagonal(DiagonalPass pass)
    {
        CheckInputVariances(pass.Cov);
        pass.Record();
        foreach (ref double c in pass.Cov.AsSpan()) c = Variance(c);
    }

    /// <inheritdoc />
    internal override void Row(RowPass pass)
    {
        var s1 = pass.Slots1[pass.Slot];
        var s2 = pass.Slots2[pass.Slot];
        pass.Slot++;
        RowKernel(pass.NngpRow, pass.NtkRow, s1.Cov[pass.I], s1.Sqrt[pass.I],
            s2.Cov.AsSpan(pass.J0, pass.Len), s2.Sqrt.AsSpan(pass.J0, pass.Len));
    }

    /// <summary>
    /// Maps a row segment in place: nngp[j] ← E[φφ], ntk[j] ← ntk[j]·E[φ'φ'] (ntk empty when not
    /// asked for). c1 = q11 of the row, c2[j] = q22 of column j, s = √c. Overridden with SIMD by hot activations.
    /// </summary>
    internal virtual void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2)
    {
        bool withNtk = !ntk.IsEmpty;
        for (int j = 0; j < nngp.Length; j++)
        {
            double q12 = nngp[j];
            if (withNtk) ntk[j] *= NtkFactor(c1, q12, c2[j]);
            nngp[j] = Nngp(c1, q12, c2[j]);
        }
    }

    // ---- the image rule: elementwise, per pixel pair (docs/CONVOLUTION.md, "The layer contract") ----

    internal override bool ActsOnImages => true;
    internal override int ImageSlots => 1;

    /// <summary>
    /// The rule on a pair of images, per pixel pair (p, p'): K'[p, p'] = E[φ(u)φ(v)] with the variances
    /// K11[p, p] and K22[p', p'], Θ'[p, p'] = Θ[p, p']·E[φ'(u)φ'(v)], and the self covariances likewise.
    /// </summary>
    /// <exception cref="NonGaussianInputException">The images are not Gaussian pre-activations.</exception>
    internal override ImageKernelState ApplyImage(ImageKernelState s)
    {
        if (this is Identity) return s;
        if (!s.IsGaussian) throw NonGaussianInputException.ForState(this);
        int P = s.Pixels, n = s.Pairs;
        bool full = s.IsFull;
        double[] nngp = new double[n], ntk = new double[n], cov1 = new double[n], cov2 = new double[n];
        for (int u = 0; u < n; u++)
        {
            int p = full ? u / P : u, q = full ? u % P : u;
            int pp = full ? p * P + p : p, qq = full ? q * P + q : q;
            nngp[u] = Nngp(s.Cov1[pp], s.Nngp[u], s.Cov2[qq]);
            ntk[u] = HasNtk ? s.Ntk[u] * NtkFactor(s.Cov1[pp], s.Nngp[u], s.Cov2[qq]) : double.NaN;
            cov1[u] = p == q ? Variance(s.Cov1[pp]) : Nngp(s.Cov1[pp], s.Cov1[u], s.Cov1[qq]);
            cov2[u] = p == q ? Variance(s.Cov2[pp]) : Nngp(s.Cov2[pp], s.Cov2[u], s.Cov2[qq]);
        }
        return s with { Nngp = nngp, Ntk = ntk, Cov1 = cov1, Cov2 = cov2, IsGaussian = false };
    }

    /// <summary>The self pass: checks and records the pixel variances, then maps K(x, x) per pixel pair.</summary>
    internal override void SelfStep(ImageSelfPass pass)
    {
        int P = pass.Pixels;
        var variances = new double[P];
        pass.Diagonal(variances);
        CheckInputVariances(variances);   // a composed activation refuses variances it cannot integrate, before integrating
        pass.Record(variances);
        var k = pass.K;
        if (!pass.Full) { for (int p = 0; p < P; p++) k[p] = Variance(k[p]); return; }
        var o = new double[P * P];
        for (int p = 0; p < P; p++)
            for (int q = 0; q < P; q++)
                o[p * P + q] = p == q ? Variance(k[p * P + p]) : Nngp(k[p * P + p], k[p * P + q], k[q * P + q]);
        pass.K = o;
    }

    /// <summary>The tile pass: <see cref="RowKernel"/> on each pixel pair's segment, in place.</summary>
    internal override void TileStep(ImageTilePass pass)
    {
        int a = pass.Slot++, pairs = pass.Pairs, pixels = pass.Pixels;
        for (int u = 0; u < pairs; u++) TilePixel(pass, a, u, pixels, pass.A, pass.B);
    }

    /// <summary>
    /// The rule on pixel pair u of the tile's segment, in place in <paramref name="k"/> (and <paramref name="t"/>
    /// when the pass has the NTK), with the variances recorded in slot <paramref name="slot"/>: one piece of
    /// <see cref="TileStep"/>, also called by a convolution right after it wrote pixel pair u
    /// (<see cref="Conv"/>'s fused step), while the segment is in the first-level cache.
    /// </summary>
    internal void TilePixel(ImageTilePass pass, int slot, int u, int pixels, double[] k, double[] t)
    {
        int pin = pixels, len = pass.Len, j0 = pass.J0, i = pass.I, n1 = pass.N1, n2 = pass.N2;
        int p = pass.Full ? u / pin : u, q = pass.Full ? u % pin : u;
        int x1 = p * n1 + i, x2 = q * n2 + j0;
        RowKernel(k.AsSpan(u * len, len), pass.WithNtk ? t.AsSpan(u * len, len) : Span<double>.Empty,
            pass.Cov1[slot][x1], pass.Sqrt1[slot][x1], pass.Cov2[slot].AsSpan(x2, len), pass.Sqrt2[slot].AsSpan(x2, len));
    }

    /// <summary>
    /// The rule on the pixel pairs of one image pair (<see cref="PairEngine{T}"/>), in place: nngp[u] ← E[φφ] and
    /// ntk[u] ← ntk[u]·E[φ'φ'] (ntk empty when not asked for) with the first image's variance c1[u] (or c1[0] for
    /// every u when it holds one value), its root s1 and inverse root i1, and the second's c2[u], s2[u], i2[u].
    /// This default runs <see cref="RowKernel"/> (in double: float values are widened, mapped and rounded back in
    /// blocks), so every activation has it; hot activations override it with SIMD in the type itself.
    /// </summary>
    internal virtual void PairKernel<T>(Span<T> nngp, Span<T> ntk, ReadOnlySpan<T> c1, ReadOnlySpan<T> s1, ReadOnlySpan<T> i1,
        ReadOnlySpan<T> c2, ReadOnlySpan<T> s2, ReadOnlySpan<T> i2) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        bool withNtk = !ntk.IsEmpty, one = c1.Length == 1;
        if (typeof(T) == typeof(double))
        {
            var k = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(nngp);
            var t = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(ntk);
            var q1 = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(c1);
            var r1 = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(s1);
            var q2 = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(c2);
            var r2 = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(s2);
            if (one) { RowKernel(k, t, q1[0], r1[0], q2, r2); return; }
            for (int u = 0; u < k.Length; u++)
                RowKernel(k.Slice(u, 1), withNtk ? t.Slice(u, 1) : t, q1[u], r1[u], q2.Slice(u, 1), r2.Slice(u, 1));
            return;
        }
        const int Block = 64;
        Span<double> dk = stackalloc double[Block], dt = stackalloc double[Block], d1 = stackalloc double[Block], e1 = stackalloc double[Block],
            f1 = stackalloc double[Block], d2 = stackalloc double[Block], e2 = stackalloc double[Block], f2 = stackalloc double[Block];
        for (int from = 0; from < nngp.Length; from += Block)
        {
            int m = Math.Min(Block, nngp.Length - from), m1 = one ? 1 : m, at = one ? 0 : from;
            for (int u = 0; u < m; u++)
            {
                dk[u] = double.CreateTruncating(nngp[from + u]);
                if (withNtk) dt[u] = double.CreateTruncating(ntk[from + u]);
                d2[u] = double.CreateTruncating(c2[from + u]); e2[u] = double.CreateTruncating(s2[from + u]); f2[u] = double.CreateTruncating(i2[from + u]);
            }
            for (int u = 0; u < m1; u++)
            {
                d1[u] = double.CreateTruncating(c1[at + u]); e1[u] = double.CreateTruncating(s1[at + u]); f1[u] = double.CreateTruncating(i1[at + u]);
            }
            PairKernel<double>(dk[..m], withNtk ? dt[..m] : Span<double>.Empty, d1[..m1], e1[..m1], f1[..m1], d2[..m], e2[..m], f2[..m]);
            for (int u = 0; u < m; u++)
            {
                nngp[from + u] = T.CreateTruncating(dk[u]);
                if (withNtk) ntk[from + u] = T.CreateTruncating(dt[u]);
            }
        }
    }

    /// <summary>
    /// The correlation q12/√(q11·q22) clipped into [−1, 1] (no NaN for identical or antipodal inputs
    /// after rounding) and snapped to ±1 within <see cref="SnapTolerance"/> of it, so that identical
    /// inputs give exactly the diagonal's value (arccos has a square-root singularity at ±1: one ulp
    /// in ρ moves θ by 1.5e-8); 0 when a variance is 0 (a zero-norm input).
    /// </summary>
    public static double Correlation(double q11, double q12, double q22)
    {
        double p = Math.Sqrt(Math.Max(q11, 0)) * Math.Sqrt(Math.Max(q22, 0));
        return p > 0 ? Snap(q12 / p) : 0;
    }

    /// <summary>Correlations within this distance of ±1 are taken as ±1 (4 ulps of 1).</summary>
    public const double SnapTolerance = 4 * 2.220446049250313e-16;

    /// <summary>Clips into [−1, 1] and snaps to ±1 within <see cref="SnapTolerance"/>.</summary>
    internal static double Snap(double rho) =>
        rho >= 1 - SnapTolerance ? 1 : rho <= -1 + SnapTolerance ? -1 : double.IsNaN(rho) ? 0 : rho;

    /// <inheritdoc />
    public override FiniteLayer Initialize(int inputWidth, int width, Random rng) => new FiniteActivation(this, inputWidth);

    /// <summary>
    /// The finite twin: φ elementwise, row-parallel on large batches, with a vectorised path for
    /// (a,b)-ReLU. Inside a <see cref="FiniteScope"/> its output and input-gradient matrices are reused
    /// between passes of the same shape; outside one every pass returns fresh matrices.
    /// </summary>
    private sealed class FiniteActivation(Activation phi, int width) : FiniteLayer
    {
        private Matrix? _input, _out, _dIn;
        public override int OutputWidth => width;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            ArgumentNullException.ThrowIfNull(h);
            _input = h;
            var o = FiniteScope.Output(ref _out, h.Rows, h.Cols);
            int cols = h.Cols;
            if (phi is ABRelu r)
            {
                FiniteScope.AbRelu(h, o, r.A, r.B);
                return o;
            }
            System.Threading.Tasks.Parallel.For(0, h.Rows, FiniteScope.ParallelOptionsFor(h.Data.Length), a =>
            {
                var hr = h.Row(a); var or = o.Row(a);
                for (int j = 0; j < cols; j++) or[j] = phi.Phi(hr[j]);
            });
            return o;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            ArgumentNullException.ThrowIfNull(delta);
            var z = _input ?? throw new InvalidOperationException("Backward before Forward.");
            // δ_in = δ ⊙ φ'(z), in one fused pass; inside a network's pass in place (δ is the work matrix of the
            // layer above, read by nothing after this; the sum fan-in hands each branch but the last a copy).
            var d = FiniteScope.Active ? delta : FiniteScope.Output(ref _dIn, delta.Rows, delta.Cols);
            int cols = z.Cols;
            if (phi is ABRelu r)
            {
                FiniteScope.AbReluBackward(z, delta, d, r.A, r.B);
                return d;
            }
            System.Threading.Tasks.Parallel.For(0, z.Rows, FiniteScope.ParallelOptionsFor(z.Data.Length), a =>
            {
                var zr = z.Row(a); var dr = delta.Row(a); var or = d.Row(a);
                for (int j = 0; j < cols; j++) or[j] = dr[j] * phi.Derivative(zr[j]);
            });
            return d;
        }
    }
}
