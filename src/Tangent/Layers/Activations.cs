using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tangent.Layers;

/// <summary>Argument checks shared by the activations' constructors.</summary>
internal static class ParameterCheck
{
    /// <summary>Throws when a parameter is NaN or infinite (e.g. from sqrt(-1) or 1e400 in a spec).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The first parameter that is not finite.</exception>
    public static void RequireFinite(string layer, params ReadOnlySpan<(string Name, double Value)> parameters)
    {
        foreach (var (name, value) in parameters)
            if (!double.IsFinite(value))
                throw new ArgumentOutOfRangeException(name, $"{layer}: {name} must be a finite number, got {value}.");
    }
}

/// <summary>φ(x) = x: nngp' = q12, ntk' = ntk.</summary>
public sealed class Identity : Activation
{
    /// <inheritdoc />
    public override double Phi(double x) => x;
    /// <inheritdoc />
    public override double Derivative(double x) => 1;
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => q12;
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => 1;
    /// <inheritdoc />
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2) { }
    /// <inheritdoc />
    public override string ToString() => "identity";
}

/// <summary>
/// φ(x) = a·min(x, 0) + b·max(x, 0), the family of Neural Tangents' <c>ABRelu</c>: ReLU = (0, 1),
/// leaky ReLU(α) = (α, 1), abs = (−1, 1). With ρ = cos θ the clipped correlation (arc-cosine kernel of
/// Cho &amp; Saul 2009, degree 1):
/// nngp' = (a−b)²·√(q11q22)·(sin θ − θ cos θ)/(2π) + (a²+b²)/2·q12,
/// ntk factor = (a²+b²)/2 − (a−b)²·θ/(2π), cov' = (a²+b²)/2·q.
/// </summary>
public sealed class ABRelu : Activation
{
    private readonly string _kind;

    /// <summary>Creates φ(x) = a·min(x, 0) + b·max(x, 0).</summary>
    public ABRelu(double a, double b) : this(a, b, "abrelu") { }

    private ABRelu(double a, double b, string kind)
    {
        if (!double.IsFinite(a) || !double.IsFinite(b)) throw new ArgumentOutOfRangeException(nameof(a), $"abrelu: a and b must be finite, got a={a}, b={b}.");
        A = a; B = b; _kind = kind;
    }

    /// <summary>ReLU, max(x, 0).</summary>
    public static ABRelu Relu() => new(0, 1, "relu");
    /// <summary>Leaky ReLU: x for x &gt; 0, α·x below.</summary>
    public static ABRelu LeakyRelu(double alpha) => new(alpha, 1, "leaky_relu");
    /// <summary>|x|.</summary>
    public static ABRelu Abs() => new(-1, 1, "abs");

    /// <summary>Slope for x &lt; 0.</summary>
    public double A { get; }
    /// <summary>Slope for x &gt; 0.</summary>
    public double B { get; }

    /// <inheritdoc />
    public override double Phi(double x) => x < 0 ? A * x : B * x;
    /// <inheritdoc />
    public override double Derivative(double x) => x < 0 ? A : B;

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        double p = Math.Sqrt(Math.Max(q11, 0)) * Math.Sqrt(Math.Max(q22, 0));
        double rho = Correlation(q11, q12, q22), theta = Math.Acos(rho);
        double sin = Math.Sqrt(Math.Max((1 - rho) * (1 + rho), 0));
        double d = A - B;
        return d * d * p * (sin - theta * rho) / (2 * Math.PI) + (A * A + B * B) / 2 * q12;
    }

    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22)
    {
        double theta = Math.Acos(Correlation(q11, q12, q22)), d = A - B;
        return (A * A + B * B) / 2 - d * d * theta / (2 * Math.PI);
    }

    /// <inheritdoc />
    public override double Variance(double q) => (A * A + B * B) / 2 * q;
    /// <inheritdoc />
    public override double DerivativeVariance(double q) => (A * A + B * B) / 2;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2)
    {
        double d2 = (A - B) * (A - B) / (2 * Math.PI), m = (A * A + B * B) / 2;
        bool withNtk = !ntk.IsEmpty;
        int j = 0, n = nngp.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double rn = ref MemoryMarshal.GetReference(nngp);
            ref double rt = ref MemoryMarshal.GetReference(ntk);
            ref double rs = ref MemoryMarshal.GetReference(s2);
            var vs1 = Vector256.Create(s1); var vd2 = Vector256.Create(d2); var vm = Vector256.Create(m);
            var one = Vector256<double>.One; var minusOne = -one; var zero = Vector256<double>.Zero;
            var vHi = Vector256.Create(1 - SnapTolerance);
            for (; j + 4 <= n; j += 4)
            {
                var q12 = Vector256.LoadUnsafe(ref rn, (nuint)j);
                var p = vs1 * Vector256.LoadUnsafe(ref rs, (nuint)j);
                var positive = Vector256.GreaterThan(p, zero);
                var rho = Vector256.ConditionalSelect(positive, q12 / p, zero);
                rho = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(rho, vHi), one, rho);   // clip + snap to ±1
                rho = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(rho, -vHi), minusOne, rho);
                var theta = VectorMath.Acos(rho);
                var sin = Vector256.Sqrt(Vector256.Max((one - rho) * (one + rho), zero));
                var res = Vector256.FusedMultiplyAdd(vd2 * p, sin - theta * rho, vm * q12);
                res.StoreUnsafe(ref rn, (nuint)j);
                if (withNtk)
                    ((vm - vd2 * theta) * Vector256.LoadUnsafe(ref rt, (nuint)j)).StoreUnsafe(ref rt, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            double q12 = nngp[j], p = s1 * s2[j];
            double rho = p > 0 ? Snap(q12 / p) : 0;
            double theta = VectorMath.Acos(rho), sin = Math.Sqrt(Math.Max((1 - rho) * (1 + rho), 0));
            nngp[j] = d2 * p * (sin - theta * rho) + m * q12;
            if (withNtk) ntk[j] *= m - d2 * theta;
        }
    }

    /// <inheritdoc />
    /// <remarks>Vectorised for double (4 lanes, 8 with <see cref="VectorMath.Wide"/>) and float (8 lanes, 16): ρ = q12·i1·i2 snapped to ±1 within
    /// <see cref="Activation.SnapTolerance"/> (float: 4 ulps of 1f), θ = arccos ρ (<see cref="VectorMath"/>), then the
    /// closed forms of <see cref="Nngp"/> and <see cref="NtkFactor"/>.</remarks>
    internal override void PairKernel<T>(Span<T> nngp, Span<T> ntk, ReadOnlySpan<T> c1, ReadOnlySpan<T> s1, ReadOnlySpan<T> i1,
        ReadOnlySpan<T> c2, ReadOnlySpan<T> s2, ReadOnlySpan<T> i2)
    {
        if (typeof(T) == typeof(double) || typeof(T) == typeof(float)) PairSimd(nngp, ntk, s1, i1, s2, i2);
        else base.PairKernel(nngp, ntk, c1, s1, i1, c2, s2, i2);
    }

    /// <summary>4 ulps of 1f: float correlations this close to ±1 are taken as ±1.</summary>
    private const float SnapToleranceFloat = 4 * 1.1920929e-7f;

    /// <summary><see cref="PairKernel"/> for double or float (one body: the JIT compiles each type apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PairSimd<T>(Span<T> nngp, Span<T> ntk, ReadOnlySpan<T> s1, ReadOnlySpan<T> i1, ReadOnlySpan<T> s2, ReadOnlySpan<T> i2)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T d2 = T.CreateTruncating((A - B) * (A - B) / (2 * Math.PI)), m = T.CreateTruncating((A * A + B * B) / 2);
        T tolerance = typeof(T) == typeof(double) ? T.CreateTruncating(SnapTolerance) : T.CreateTruncating(SnapToleranceFloat);
        bool withNtk = !ntk.IsEmpty, one = s1.Length == 1;
        int j = 0, n = nngp.Length;
        ref T rn = ref MemoryMarshal.GetReference(nngp);
        ref T rt = ref MemoryMarshal.GetReference(ntk);
        ref T rs1 = ref MemoryMarshal.GetReference(s1);
        ref T ri1 = ref MemoryMarshal.GetReference(i1);
        ref T rs2 = ref MemoryMarshal.GetReference(s2);
        ref T ri2 = ref MemoryMarshal.GetReference(i2);
        if (VectorMath.Wide)
        {
            var vd2 = Vector512.Create(d2); var vm = Vector512.Create(m);
            var one1 = Vector512<T>.One; var zero = Vector512<T>.Zero;
            var vHi = Vector512.Create(T.One - tolerance);
            var bs1 = Vector512.Create(s1[0]); var bi1 = Vector512.Create(i1[0]);
            for (; j + Vector512<T>.Count <= n; j += Vector512<T>.Count)
            {
                var q12 = Vector512.LoadUnsafe(ref rn, (nuint)j);
                var vs1 = one ? bs1 : Vector512.LoadUnsafe(ref rs1, (nuint)j);
                var vi1 = one ? bi1 : Vector512.LoadUnsafe(ref ri1, (nuint)j);
                var p = vs1 * Vector512.LoadUnsafe(ref rs2, (nuint)j);
                var rho = q12 * vi1 * Vector512.LoadUnsafe(ref ri2, (nuint)j);
                rho = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(Vector512.Abs(rho), vHi), Vector512.CopySign(one1, rho), rho);
                var theta = VectorMath.Acos(rho);
                var sin = Vector512.Sqrt(Vector512.Max((one1 - rho) * (one1 + rho), zero));
                VectorMath.FusedMultiplyAdd(vd2 * p, sin - theta * rho, vm * q12).StoreUnsafe(ref rn, (nuint)j);
                if (withNtk) ((vm - vd2 * theta) * Vector512.LoadUnsafe(ref rt, (nuint)j)).StoreUnsafe(ref rt, (nuint)j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vd2 = Vector256.Create(d2); var vm = Vector256.Create(m);
            var one1 = Vector256<T>.One; var zero = Vector256<T>.Zero;
            var vHi = Vector256.Create(T.One - tolerance);
            var bs1 = Vector256.Create(s1[0]); var bi1 = Vector256.Create(i1[0]);
            for (; j + Vector256<T>.Count <= n; j += Vector256<T>.Count)
            {
                var q12 = Vector256.LoadUnsafe(ref rn, (nuint)j);
                var vs1 = one ? bs1 : Vector256.LoadUnsafe(ref rs1, (nuint)j);
                var vi1 = one ? bi1 : Vector256.LoadUnsafe(ref ri1, (nuint)j);
                var p = vs1 * Vector256.LoadUnsafe(ref rs2, (nuint)j);
                var rho = q12 * vi1 * Vector256.LoadUnsafe(ref ri2, (nuint)j);   // 0 where a variance is 0
                rho = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(Vector256.Abs(rho), vHi), Vector256.CopySign(one1, rho), rho);
                var theta = VectorMath.Acos(rho);
                var sin = Vector256.Sqrt(Vector256.Max((one1 - rho) * (one1 + rho), zero));
                VectorMath.FusedMultiplyAdd(vd2 * p, sin - theta * rho, vm * q12).StoreUnsafe(ref rn, (nuint)j);
                if (withNtk) ((vm - vd2 * theta) * Vector256.LoadUnsafe(ref rt, (nuint)j)).StoreUnsafe(ref rt, (nuint)j);
            }
        }
        for (; j < n; j++)
        {
            T q12 = nngp[j], p = s1[one ? 0 : j] * s2[j];
            T rho = q12 * i1[one ? 0 : j] * i2[j];
            rho = T.Abs(rho) >= T.One - tolerance ? T.CopySign(T.One, rho) : T.IsNaN(rho) ? T.Zero : rho;   // as Snap
            T theta = VectorMath.Acos(rho), sin = T.Sqrt(T.Max((T.One - rho) * (T.One + rho), T.Zero));
            nngp[j] = d2 * p * (sin - theta * rho) + m * q12;
            if (withNtk) ntk[j] *= m - d2 * theta;
        }
    }

    /// <inheritdoc />
    public override string ToString() => _kind switch
    {
        "relu" => "relu",
        "abs" => "abs",
        "leaky_relu" => $"leaky_relu(alpha={Dense.Fmt(A)})",
        _ => $"abrelu(a={Dense.Fmt(A)},b={Dense.Fmt(B)})",
    };
}

/// <summary>
/// The covariance of the scaled pair (√g·u, √g·v) shifted by the identity, [[1+g·q11, g·q12], [g·q12, 1+g·q22]],
/// in the cancellation-free variables of docs/LAYERS.md ("Numerical care"): with tᵢ = g·qᵢᵢ/(1+g·qᵢᵢ),
/// uᵢ = 1/(1+g·qᵢᵢ) = 1 − tᵢ and ρ the snapped correlation q12/√(q11·q22),
/// r = g·q12/√((1+g·q11)(1+g·q22)) = ρ·√(t1·t2) and
/// W = 1 − r² = u1·u2 + t1·u2 + t2·u1 + t1·t2·(1 − ρ)(1 + ρ), a sum of non-negative terms: the determinant
/// (1+g·q11)(1+g·q22) − g²q12² = W/(u1·u2) then loses nothing on or near the diagonal, where the textbook
/// form cancels (σw = 1e6 lost 94 % of the erf NTK's diagonal). Nothing overflows for large variances.
/// </summary>
internal readonly struct ScaledPair
{
    /// <summary>t1, t2 (g·q/(1+g·q)), u1, u2 (1/(1+g·q)), r, W = 1 − r² (at least 1e-300) and √W.</summary>
    public readonly double T1, T2, U1, U2, R, W, SqrtW;

    public ScaledPair(double g, double q11, double q12, double q22)
    {
        (T1, U1) = Split(g * Math.Max(q11, 0));
        (T2, U2) = Split(g * Math.Max(q22, 0));
        double rho = Activation.Correlation(q11, q12, q22);
        R = rho * Math.Sqrt(T1 * T2);
        W = Math.Max(U1 * U2 + T1 * U2 + T2 * U1 + T1 * T2 * ((1 - rho) * (1 + rho)), 1e-300);
        SqrtW = Math.Sqrt(W);
    }

    /// <summary>(x/(1+x), 1/(1+x)) for x ≥ 0, accurate at both ends and for x = ∞.</summary>
    private static (double T, double U) Split(double x) => (x < 1 ? x / (1 + x) : 1 / (1 + 1 / x), 1 / (1 + x));

    /// <summary>1/√((1+g·q11)(1+g·q22)) = √(u1·u2).</summary>
    public double InverseScale => Math.Sqrt(U1 * U2);
}

/// <summary>
/// φ(x) = a·erf(b·x) + c (Williams 1997). With g = 2b²:
/// nngp' = a²·(2/π)·arcsin(g·q12/√((1+g·q11)(1+g·q22))) + c²,
/// ntk factor = a²b²·(4/π)/√((1+g·q11)(1+g·q22) − g²·q12²).
/// Evaluated as nngp' = a²·(2/π)·atan2(r, √W) + c² and ntk factor = a²b²·(4/π)·√(u1·u2)/√W in the
/// variables of <see cref="ScaledPair"/>, which keep full precision on and near the diagonal at any σw.
/// </summary>
public sealed class Erf : Activation
{
    /// <summary>Creates φ(x) = a·erf(b·x) + c.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter that is not finite.</exception>
    public Erf(double a = 1, double b = 1, double c = 0)
    {
        ParameterCheck.RequireFinite("erf", ("a", a), ("b", b), ("c", c));
        A = a; B = b; C = c;
    }

    /// <summary>Output scale a.</summary>
    public double A { get; }
    /// <summary>Input scale b.</summary>
    public double B { get; }
    /// <summary>Offset c.</summary>
    public double C { get; }

    /// <inheritdoc />
    public override double Phi(double x) => A * SpecialFunctions.Erf(B * x) + C;
    /// <inheritdoc />
    public override double Derivative(double x) => A * B * 2 / Math.Sqrt(Math.PI) * Math.Exp(-B * B * x * x);

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        var p = new ScaledPair(2 * B * B, q11, q12, q22);
        return A * A * (2 / Math.PI) * Math.Atan2(p.R, p.SqrtW) + C * C;
    }

    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22)
    {
        var p = new ScaledPair(2 * B * B, q11, q12, q22);
        return A * A * B * B * (4 / Math.PI) * p.InverseScale / p.SqrtW;
    }

    /// <inheritdoc />
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2)
    {
        // ScaledPair's variables with the row's constants hoisted and the square roots of the variances
        // (s1, s2) reused: √t = √g·s·√u, so r = ρ·√(t1·t2) = ρ·g·s1·s2·√(u1·u2) needs one square root per
        // entry (√u2) besides √W. Same values as ScaledPair to rounding (tests hold the engine to Apply).
        double g = 2 * B * B, k = A * A * (2 / Math.PI), kt = A * A * B * B * (4 / Math.PI), cc = C * C;
        bool withNtk = !ntk.IsEmpty;
        double x1 = g * Math.Max(c1, 0), u1 = 1 / (1 + x1), t1 = x1 < 1 ? x1 * u1 : 1 / (1 + 1 / x1), su1 = Math.Sqrt(u1);
        if (!double.IsFinite(x1))
        {
            for (int j = 0; j < nngp.Length; j++)
            {
                var p = new ScaledPair(g, c1, nngp[j], c2[j]);
                if (withNtk) ntk[j] *= kt * p.InverseScale / p.SqrtW;
                nngp[j] = k * Math.Atan2(p.R, p.SqrtW) + cc;
            }
            return;
        }
        for (int j = 0; j < nngp.Length; j++)
        {
            double q22 = Math.Max(c2[j], 0), x2 = g * q22;
            if (!double.IsFinite(x2 * s1 * s2[j]))   // a variance so large that g·q or s1·s2 overflows: the general form
            {
                var p = new ScaledPair(g, c1, nngp[j], c2[j]);
                if (withNtk) ntk[j] *= kt * p.InverseScale / p.SqrtW;
                nngp[j] = k * Math.Atan2(p.R, p.SqrtW) + cc;
                continue;
            }
            double u2 = 1 / (1 + x2), t2 = x2 < 1 ? x2 * u2 : 1 / (1 + 1 / x2);
            double sp = s1 * s2[j];
            double rho = sp > 0 ? Snap(nngp[j] / sp) : 0;
            double suu = su1 * Math.Sqrt(u2);
            double r = rho * g * sp * suu;
            double w = Math.Max(u1 * u2 + t1 * u2 + t2 * u1 + t1 * t2 * ((1 - rho) * (1 + rho)), 1e-300), sw = Math.Sqrt(w);
            if (withNtk) ntk[j] *= kt * suu / sw;
            // arcsin(r) = atan2(r, √(1 − r²)); away from ±1 arcsin amplifies r's rounding by at most 1/√(1 − 0.81) ≈ 2.3 and is cheaper.
            nngp[j] = k * (Math.Abs(r) < 0.9 ? Math.Asin(r) : Math.Atan2(r, sw)) + cc;
        }
    }

    /// <inheritdoc />
    public override string ToString() => A == 1 && B == 1 && C == 0 ? "erf" : $"erf(a={Dense.Fmt(A)},b={Dense.Fmt(B)},c={Dense.Fmt(C)})";
}

/// <summary>
/// GELU, φ(x) = x·Φ(x) (exact, Hendrycks &amp; Gimpel 2016). Derived with Gaussian integration by parts
/// (Stein's lemma) writing Φ(u) = P(g ≤ u): with a = 1+q11, b = 1+q22, D = √(ab − q12²),
/// nngp' = q12/4 + q12·arcsin(q12/√(ab))/(2π) + [q11q22 + q12²(1 − q11q22)/(ab)]/(2πD);
/// the ntk factor is its derivative in q12 (Price's theorem: ∂E[φ(u)φ(v)]/∂q12 = E[φ'(u)φ'(v)]).
/// Evaluated in the variables of <see cref="ScaledPair"/> (g = 1), without cancellation on the diagonal
/// or for antipodal inputs at large variances. Checked against quadrature and 60-digit references in the tests.
/// </summary>
public sealed class Gelu : Activation
{
    /// <inheritdoc />
    public override double Phi(double x) => x * SpecialFunctions.NormalCdf(x);
    /// <inheritdoc />
    public override double Derivative(double x) => SpecialFunctions.NormalCdf(x) + x * SpecialFunctions.NormalPdf(x);

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        // In the variables of ScaledPair with g = 1 (r = q12/S, S = √a·√b, w = √(1 − r²) without cancellation):
        // q12/4 + q12·arcsin(r)/(2π) = q12·atan2(w, −r)/(2π), and the last term
        // [q11q22 + q12²(1 − q11q22)/(ab)]/(2πD) equals (T1·T2·w + r²/(S·w))/(2π) with T = q/√(1+q).
        // For r < 0 the first two terms cancel as r → −1 (E[φ(u)φ(−u)] is O(1/√q) while each is O(q)); with
        // y = w/|r| and 1 − t1t2 = u2 + t2·u1 they are |q12|·[(y − atan y) − (u2 + t2·u1)·y], y − atan y by its series.
        var p = new ScaledPair(1, q11, q12, q22);
        double sa = Math.Sqrt(1 + Math.Max(q11, 0)), sb = Math.Sqrt(1 + Math.Max(q22, 0)), S = sa * sb;
        double r = p.R, w = p.SqrtW, last = r * r / (S * w);
        if (r < 0 && w < 0.5 * -r)
        {
            double y = w / -r;
            return (-q12 * (YMinusAtanY(y) - (p.U2 + p.T2 * p.U1) * y) + last) / (2 * Math.PI);
        }
        return (q12 * Math.Atan2(w, -r) + (q11 / sa) * (q22 / sb) * w + last) / (2 * Math.PI);
    }

    /// <summary>
    /// The nngp and the ntk factor of one pair from one set of <see cref="ScaledPair"/> variables (the
    /// fused row engine calls this once per entry instead of building the variables twice).
    /// </summary>
    private static (double Nngp, double Ntk) Both(double q11, double q12, double q22, double sa, double sb)
    {
        var p = new ScaledPair(1, q11, q12, q22);
        double S = sa * sb, r = p.R, w = p.SqrtW, last = r * r / (S * w), uu = p.U1 * p.U2;
        // atan2(w, −r) = π/2 + arcsin r; away from ±1 the arcsin is as accurate (≤ 2.3× r's rounding) and cheaper.
        double angle = Math.Abs(r) < 0.9 ? Math.PI / 2 + Math.Asin(r) : Math.Atan2(w, -r);
        double nngp = r < 0 && w < 0.5 * -r
            ? (-q12 * (YMinusAtanY(w / -r) - (p.U2 + p.T2 * p.U1) * (w / -r)) + last) / (2 * Math.PI)
            : (q12 * angle + (q11 / sa) * (q22 / sb) * w + last) / (2 * Math.PI);
        double ntk = (angle + r / w * (p.U2 + p.T2 * p.U1 + 2 * uu + r * r * uu / p.W)) / (2 * Math.PI);
        return (nngp, ntk);
    }

    /// <inheritdoc />
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2)
    {
        bool withNtk = !ntk.IsEmpty;
        double sa = Math.Sqrt(1 + Math.Max(c1, 0));
        for (int j = 0; j < nngp.Length; j++)
        {
            var (n, t) = Both(c1, nngp[j], c2[j], sa, Math.Sqrt(1 + Math.Max(c2[j], 0)));
            if (withNtk) ntk[j] *= t;
            nngp[j] = n;
        }
    }

    /// <summary>y − atan(y) for 0 ≤ y &lt; 1/2 without cancellation: Σₖ (−1)^{k+1}·y^{2k+1}/(2k+1), k ≥ 1.</summary>
    private static double YMinusAtanY(double y)
    {
        double y2 = y * y, term = y * y2, sum = 0;
        for (int k = 1; k < 40 && Math.Abs(term) > 1e-18 * Math.Abs(sum); k++, term *= -y2) sum += term / (2 * k + 1);
        return sum;
    }

    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22)
    {
        // ∂/∂q12 of the nngp: 1/4 + [arcsin r + (r/w)·(1 − t1t2 + 2u1u2 + r²u1u2/w²)]/(2π), t = q/(1+q), u = 1/(1+q),
        // with 1/4 + arcsin(r)/(2π) = atan2(w, −r)/(2π) and 1 − t1t2 = u2 + t2·u1: no cancellation on the diagonal,
        // where the (r/w)-terms are each of order √q and their sum is small.
        var p = new ScaledPair(1, q11, q12, q22);
        double r = p.R, w = p.SqrtW, uu = p.U1 * p.U2;
        return (Math.Atan2(w, -r) + r / w * (p.U2 + p.T2 * p.U1 + 2 * uu + r * r * uu / p.W)) / (2 * Math.PI);
    }

    /// <inheritdoc />
    public override string ToString() => "gelu";
}

/// <summary>
/// φ(x) = a·sin(b·x + c) (and cos, as sin with the phase c + π/2). From
/// sin α sin β = [cos(α−β) − cos(α+β)]/2 and E[cos(t·g + s)] = cos(s)·e^{−t²Var/2}:
/// nngp' = a²/2·[e^{−b²(q11+q22−2q12)/2} − cos(2c)·e^{−b²(q11+q22+2q12)/2}],
/// ntk factor = a²b²/2·[e^{−b²(q11+q22−2q12)/2} + cos(2c)·e^{−b²(q11+q22+2q12)/2}].
/// </summary>
public sealed class Sin : Activation
{
    private readonly bool _isCos;

    /// <summary>φ(x) = a·sin(b·x + c).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter that is not finite.</exception>
    public Sin(double a = 1, double b = 1, double c = 0) : this(a, b, c, false) { }

    private Sin(double a, double b, double c, bool isCos)
    {
        ParameterCheck.RequireFinite(isCos ? "cos" : "sin", ("a", a), ("b", b), ("c", c));
        A = a; B = b; C = c; _isCos = isCos;
    }

    /// <summary>φ(x) = a·cos(b·x + c).</summary>
    public static Sin Cos(double a = 1, double b = 1, double c = 0) => new(a, b, c, true);

    /// <summary>Output scale a.</summary>
    public double A { get; }
    /// <summary>Frequency b.</summary>
    public double B { get; }
    /// <summary>Phase c (of the cosine when this is a cosine).</summary>
    public double C { get; }

    private double Phase => _isCos ? C + Math.PI / 2 : C;

    /// <inheritdoc />
    public override double Phi(double x) => A * Math.Sin(B * x + Phase);
    /// <inheritdoc />
    public override double Derivative(double x) => A * B * Math.Cos(B * x + Phase);

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        var (minus, plus) = Spreads(B * B, q11, q12, q22);
        return A * A / 2 * (minus - Math.Cos(2 * Phase) * plus);
    }

    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22)
    {
        var (minus, plus) = Spreads(B * B, q11, q12, q22);
        return A * A * B * B / 2 * (minus + Math.Cos(2 * Phase) * plus);
    }

    /// <summary>
    /// (e^{−b²(q11+q22−2q12)/2}, e^{−b²(q11+q22+2q12)/2}) with q11 + q22 ∓ 2q12 written as
    /// (√q11 − √q22)² + 2√q11·√q22·(1 ∓ ρ) for the snapped correlation ρ: identical inputs give exactly
    /// the diagonal's value even when their q12 differs from q11 by rounding (which e^{−b²·ε·q} magnifies at large q).
    /// </summary>
    private static (double Minus, double Plus) Spreads(double b2, double q11, double q12, double q22)
    {
        double s1 = Math.Sqrt(Math.Max(q11, 0)), s2 = Math.Sqrt(Math.Max(q22, 0)), rho = Correlation(q11, q12, q22);
        double d = (s1 - s2) * (s1 - s2), p = 2 * s1 * s2;
        return (Math.Exp(-b2 * (d + p * (1 - rho)) / 2), Math.Exp(-b2 * (d + p * (1 + rho)) / 2));
    }

    /// <inheritdoc />
    public override string ToString()
    {
        string name = _isCos ? "cos" : "sin";
        return A == 1 && B == 1 && C == 0 ? name : $"{name}(a={Dense.Fmt(A)},b={Dense.Fmt(B)},c={Dense.Fmt(C)})";
    }
}

/// <summary>
/// φ(x) = a·e^{b·x}: E[e^{b(u+v)}] = e^{b²(q11+q22+2q12)/2}, so nngp' = a²·e^{b²(q11+q22+2q12)/2}
/// and ntk factor = b²·nngp'.
/// </summary>
public sealed class Exp : Activation
{
    /// <summary>Creates φ(x) = a·e^{b·x}.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter that is not finite.</exception>
    public Exp(double a = 1, double b = 1)
    {
        ParameterCheck.RequireFinite("exp", ("a", a), ("b", b));
        A = a; B = b;
    }

    /// <summary>Output scale a.</summary>
    public double A { get; }
    /// <summary>Rate b.</summary>
    public double B { get; }

    /// <inheritdoc />
    public override double Phi(double x) => A * Math.Exp(B * x);
    /// <inheritdoc />
    public override double Derivative(double x) => A * B * Math.Exp(B * x);
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => A * A * Math.Exp(B * B * (q11 + q22 + 2 * q12) / 2);
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => B * B * Nngp(q11, q12, q22);
    /// <inheritdoc />
    public override string ToString() => A == 1 && B == 1 ? "exp" : $"exp(a={Dense.Fmt(A)},b={Dense.Fmt(B)})";
}

/// <summary>
/// φ(x) = a·e^{b·x²} with b &lt; 0. With D = (1−2b·q11)(1−2b·q22) − 4b²q12² (the determinant of
/// I − 2bΣ): nngp' = a²/√D, ntk factor = 4a²b²·q12/D^{3/2} (E[uv·e^{b(u²+v²)}] = q12/D^{3/2}).
/// D cancels on the diagonal like erf's determinant and is evaluated the same way (<see cref="ScaledPair"/>, g = −2b).
/// </summary>
public sealed class Gaussian : Activation
{
    /// <summary>Creates φ(x) = a·e^{b·x²}.</summary>
    /// <exception cref="ArgumentOutOfRangeException">b ≥ 0 (the expectations would diverge), or a parameter that is not finite.</exception>
    public Gaussian(double a = 1, double b = -1)
    {
        ParameterCheck.RequireFinite("gaussian", ("a", a), ("b", b));
        if (!(b < 0)) throw new ArgumentOutOfRangeException(nameof(b), $"gaussian: b must be negative so that a·exp(b·x²) decays, got b={b}. Try gaussian(b=-1).");
        A = a; B = b;
    }

    /// <summary>Output scale a.</summary>
    public double A { get; }
    /// <summary>Exponent b &lt; 0.</summary>
    public double B { get; }

    /// <inheritdoc />
    public override double Phi(double x) => A * Math.Exp(B * x * x);
    /// <inheritdoc />
    public override double Derivative(double x) => 2 * A * B * x * Math.Exp(B * x * x);

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        // 1/√D with D = (1+g·q11)(1+g·q22) − g²q12², g = −2b: √(u1·u2)/√W in the variables of ScaledPair.
        var p = new ScaledPair(-2 * B, q11, q12, q22);
        return A * A * p.InverseScale / p.SqrtW;
    }

    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22)
    {
        // 4b²q12/D^{3/2} = g·r·u1u2/W^{3/2} (g² q12 u1u2 = g·r·√(u1u2)).
        var p = new ScaledPair(-2 * B, q11, q12, q22);
        return A * A * -2 * B * p.R * (p.U1 * p.U2) / (p.W * p.SqrtW);
    }

    /// <inheritdoc />
    public override string ToString() => A == 1 && B == -1 ? "gaussian" : $"gaussian(a={Dense.Fmt(A)},b={Dense.Fmt(B)})";
}

/// <summary>
/// φ(x) = sign(x): nngp' = (2/π)·arcsin(ρ) (ρ the clipped correlation), cov' = 1 (0 for a zero input).
/// Its derivative is 2δ(x), so it has no NTK: asking for one is an error.
/// </summary>
public sealed class Sign : Activation
{
    /// <inheritdoc />
    public override bool HasNtk => false;
    /// <inheritdoc />
    public override double Phi(double x) => Math.Sign(x);
    /// <inheritdoc />
    public override double Derivative(double x) => 0;
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => 2 / Math.PI * Math.Asin(Correlation(q11, q12, q22));
    /// <inheritdoc />
    public override double Variance(double q) => q > 0 ? 1 : 0;

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always.</exception>
    public override double NtkFactor(double q11, double q12, double q22) => throw NoNtk();

    internal static NotSupportedException NoNtk() => new(
        "sign has no NTK: its derivative is a Dirac delta, so E[φ'(u)φ'(v)] is undefined. Ask for the NNGP only (KernelOutputs.Nngp), " +
        "or use a smooth stand-in such as erf(b=10).");

    /// <inheritdoc />
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2)
    {
        if (!ntk.IsEmpty) throw NoNtk();
        base.RowKernel(nngp, ntk, c1, s1, c2, s2);
    }

    /// <inheritdoc />
    public override string ToString() => "sign";
}
