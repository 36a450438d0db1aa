namespace Tangent.Layers;

/// <summary>Special functions .NET lacks, to double precision.</summary>
public static class SpecialFunctions
{
    /// <summary>
    /// The error function erf(x) = (2/√π)∫₀ˣ e^{−t²} dt, by the series
    /// erf(x) = (2/√π)·e^{−x²}·Σₙ 2ⁿx^{2n+1}/(1·3···(2n+1)) (Abramowitz &amp; Stegun 7.1.6): all terms
    /// positive, so no cancellation; |erf(x)| = 1 to double precision beyond |x| = 6.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.Sign(x);
        double x2 = ax * ax, term = ax, sum = ax;
        for (int n = 1; n < 500; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        return Math.Sign(x) * Math.Min(r, 1);
    }

    /// <summary>The standard normal distribution function Φ(x) = (1 + erf(x/√2))/2.</summary>
    public static double NormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>The standard normal density.</summary>
    public static double NormalPdf(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
}
