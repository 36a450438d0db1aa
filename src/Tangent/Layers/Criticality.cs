namespace Tangent.Layers;

/// <summary>Phase of a deep network at initialisation (Poole et al. 2016; Schoenholz et al. 2017).</summary>
public enum Phase
{
    /// <summary>χ⊥ &lt; 1: nearby inputs become correlated with depth; gradients vanish.</summary>
    Ordered,
    /// <summary>χ⊥ ≈ 1: the edge of chaos, where deep signal propagation is possible.</summary>
    Critical,
    /// <summary>χ⊥ &gt; 1: nearby inputs decorrelate with depth; gradients explode.</summary>
    Chaotic,
}

/// <summary>The criticality analysis of one (activation, σw, σb).</summary>
/// <param name="FixedPoint">q*, the fixed point of q ↦ σw²·E[φ(z)²] + σb² (z ~ N(0, q)) reached from
/// q = 1; +∞ when the variance grows without bound.</param>
/// <param name="ChiParallel">χ∥ = σw²·∂E[φ(z)²]/∂q at q*, the slope of the variance map
/// (= σw²·E[φ'(z)² + φ(z)φ''(z)], Roberts &amp; Yaida ch. 5); computed by a central difference.</param>
/// <param name="ChiPerp">χ⊥ = σw²·E[φ'(z)²] at q*, the slope of the correlation map at ρ = 1.</param>
/// <param name="Phase">Ordered, critical (|χ⊥ − 1| ≤ tolerance) or chaotic.</param>
/// <param name="Converged">False when the fixed-point iteration did not settle (q* is then its last value or +∞).</param>
public sealed record CriticalityResult(double FixedPoint, double ChiParallel, double ChiPerp, Phase Phase, bool Converged);

/// <summary>
/// Mean-field criticality of deep fully connected networks (Poole et al. 2016, Schoenholz et al. 2017,
/// Roberts &amp; Yaida 2022 ch. 5): the fixed point of the variance map, the susceptibilities and the
/// critical line. ReLU: χ∥ = χ⊥ = σw²/2, critical at σw² = 2, σb = 0; erf: critical at σb = 0,
/// σw = √π/2 (χ⊥ = σw²·4/π at q* = 0).
/// </summary>
public static class Criticality
{
    /// <summary>Analyses (φ, σw, σb).</summary>
    /// <param name="activation">φ.</param>
    /// <param name="weightStd">σw.</param>
    /// <param name="biasStd">σb.</param>
    /// <param name="tolerance">|χ⊥ − 1| at most this counts as critical.</param>
    public static CriticalityResult Analyze(Activation activation, double weightStd, double biasStd = 0, double tolerance = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(activation);
        double w2 = weightStd * weightStd, b2 = biasStd * biasStd;
        double G(double x) => w2 * activation.Variance(x) + b2 - x;
        double q = 1;
        bool converged = false;
        for (int it = 0; it < 2000; it++)
        {
            double next = G(q) + q;
            if (!double.IsFinite(next) || next > 1e200) { q = double.PositiveInfinity; break; }
            if (Math.Abs(next - q) <= 1e-15 * Math.Max(q, 1e-300)) { q = next; converged = true; break; }
            if (next < 1e-300) { q = 0; converged = true; break; }
            q = next;
        }
        if (!converged && double.IsFinite(q))
            (q, converged) = Bracket(G, q);
        // When the variance diverges, the susceptibilities are taken at a large q (exact for ReLU-like φ, whose are constant).
        double qEval = double.IsFinite(q) ? q : 1e100;
        double chiPerp = w2 * activation.DerivativeVariance(qEval);
        double chiPar = w2 * VarianceSlope(activation, qEval);
        var phase = !double.IsFinite(chiPerp) ? Phase.Chaotic
            : Math.Abs(chiPerp - 1) <= tolerance ? Phase.Critical
            : chiPerp < 1 ? Phase.Ordered : Phase.Chaotic;
        return new CriticalityResult(q, chiPar, chiPerp, phase, converged);
    }

    /// <summary>
    /// Near the critical line the iteration converges slowly (like 1/√t); finish by bisection on
    /// g(q) = σw²·V(q) + σb² − q, bracketed in the direction the iteration was moving.
    /// </summary>
    private static (double Q, bool Converged) Bracket(Func<double, double> g, double q)
    {
        double lo, hi;
        if (g(q) < 0)
        {
            hi = q; lo = 1e-12 * q;
            if (g(lo) <= 0) return (0, true);      // no positive fixed point below: the variance decays to 0
        }
        else
        {
            lo = q; hi = 2 * q;
            while (g(hi) > 0) { lo = hi; hi *= 2; if (hi > 1e200) return (double.PositiveInfinity, false); }
        }
        for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (g(mid) > 0) lo = mid; else hi = mid;
        }
        return (0.5 * (lo + hi), true);
    }

    /// <summary>∂E[φ(z)²]/∂q by a central difference (second-order one-sided at q = 0).</summary>
    private static double VarianceSlope(Activation a, double q)
    {
        double h = 1e-4 * Math.Max(q, 1e-2);
        return q > h
            ? (a.Variance(q + h) - a.Variance(q - h)) / (2 * h)
            : (-3 * a.Variance(q) + 4 * a.Variance(q + h) - a.Variance(q + 2 * h)) / (2 * h);   // second-order one-sided
    }

    /// <summary>
    /// The critical σw at the given σb: χ⊥(σw) = 1, found by bisection on [10⁻³, 100]
    /// (χ⊥ increases with σw for the activations here). Null when no root lies in the bracket.
    /// </summary>
    public static double? CriticalWeightStd(Activation activation, double biasStd = 0)
    {
        ArgumentNullException.ThrowIfNull(activation);
        double F(double w) { var r = Analyze(activation, w, biasStd); return double.IsNaN(r.ChiPerp) ? 1 : r.ChiPerp - 1; }
        double lo = 1e-3, hi = 100;
        double flo = F(lo), fhi = F(hi);
        if (flo > 0 || fhi < 0) return null;
        for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (F(mid) < 0) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }
}
