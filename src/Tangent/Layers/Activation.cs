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

    private sealed class FiniteActivation(Activation phi, int width) : FiniteLayer
    {
        private Matrix? _input;
        public override int OutputWidth => width;
        public override IEnumerable<Matrix> Parameters => [];

        public override Matrix Forward(Matrix h)
        {
            _input = h;
            var y = new Matrix(h.Rows, h.Cols);
            for (int k = 0; k < h.Data.Length; k++) y.Data[k] = phi.Phi(h.Data[k]);
            return y;
        }

        public override Matrix Backward(Matrix delta, Backprop into)
        {
            var h = _input ?? throw new InvalidOperationException("Backward before Forward.");
            var d = new Matrix(delta.Rows, delta.Cols);
            for (int k = 0; k < d.Data.Length; k++) d.Data[k] = delta.Data[k] * phi.Derivative(h.Data[k]);
            return d;
        }
    }
}
