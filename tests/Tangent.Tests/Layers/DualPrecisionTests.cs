using System.Globalization;
using System.Text;
using Tangent.Layers;

namespace Tangent.Tests.Layers;

/// <summary>
/// One activation's nngp and NTK factor against 60-digit mpmath evaluations of the textbook closed
/// forms, on the diagonal, for duplicates whose q12 is off by an ulp, and off the diagonal, at
/// variances from 1e-8 to 1e12 (docs/LAYERS.md, "Numerical care").
/// </summary>
public sealed class DualPrecisionTests
{
    private const string Script = """
        import sys
        from mpmath import mp, mpf, asin, sqrt, pi, exp, cos, diff
        mp.dps = 60
        def erf_(a, b, c):
            g = 2*b*b
            def n(q11, q12, q22): return a*a*2/pi*asin(g*q12/sqrt((1 + g*q11)*(1 + g*q22))) + c*c
            def t(q11, q12, q22): return a*a*b*b*4/pi/sqrt((1 + g*q11)*(1 + g*q22) - g*g*q12*q12)
            return n, t
        def gelu_():
            def n(q11, q12, q22):
                a, b = 1 + q11, 1 + q22
                return q12/4 + q12*asin(q12/sqrt(a*b))/(2*pi) + (q11*q22 + q12*q12*(1 - q11*q22)/(a*b))/(2*pi*sqrt(a*b - q12*q12))
            def t(q11, q12, q22): return diff(lambda x: n(q11, x, q22), q12)
            return n, t
        def gaussian_(a, b):
            D = lambda q11, q12, q22: (1 - 2*b*q11)*(1 - 2*b*q22) - 4*b*b*q12*q12
            return (lambda q11, q12, q22: a*a/sqrt(D(q11, q12, q22)),
                    lambda q11, q12, q22: 4*a*a*b*b*q12/D(q11, q12, q22)**mpf(1.5))
        def sin_(a, b, c):
            e = lambda q11, q12, q22, s: exp(-b*b*(q11 + q22 + s*2*q12)/2)
            return (lambda q11, q12, q22: a*a/2*(e(q11, q12, q22, -1) - cos(2*c)*e(q11, q12, q22, 1)),
                    lambda q11, q12, q22: a*a*b*b/2*(e(q11, q12, q22, -1) + cos(2*c)*e(q11, q12, q22, 1)))
        lines = [l for l in sys.stdin.read().split('\n') if l.strip()]
        kind, *params = lines[0].split()
        params = [mpf(float(v)) for v in params]
        n, t = {'erf': erf_, 'gelu': gelu_, 'gaussian': gaussian_, 'sin': sin_}[kind](*params)
        for l in lines[1:]:
            q11, q12, q22 = [mpf(float(v)) for v in l.split()]
            print(repr(float(n(q11, q12, q22))), repr(float(t(q11, q12, q22))))
        """;

    private static double RelativeError(double actual, double expected) =>
        actual == expected ? 0 : Math.Abs(actual - expected) / Math.Abs(expected);

    /// <summary>The covariances: for each scale q the diagonal (q, q, q), a duplicate whose q12 is one ulp
    /// above q (snapped to the diagonal: the reference takes ρ = 1), antipodal (q, −q, q) and a correlated pair.</summary>
    private static List<(double Q11, double Q12, double Q22, double RefQ12)> Covariances()
    {
        var list = new List<(double, double, double, double)>();
        foreach (double q in new[] { 1e-8, 1e-2, 1, 30, 1e3, 1e6, 1e9, 1e12 })
        {
            list.Add((q, q, q, q));
            list.Add((q, Math.BitIncrement(q), q, q));
            list.Add((q, -q, q, -q));
            list.Add((q, 0.3 * q, 2 * q, 0.3 * q));
        }
        return list;
    }

    [SkippableTheory]
    [InlineData("erf", "erf 1 1 0")]
    [InlineData("erf(a=1.5,b=3,c=0.2)", "erf 1.5 3 0.2")]
    [InlineData("gelu", "gelu")]
    [InlineData("gaussian", "gaussian 1 -1")]
    [InlineData("gaussian(a=2,b=-0.01)", "gaussian 2 -0.01")]
    [InlineData("sin", "sin 1 1 0")]
    [InlineData("cos(a=1,b=0.001,c=0.3)", "sin 1 0.001 1.8707963267948966")]
    public void DualsMatchSixtyDigitReferenceOnAndOffTheDiagonal(string spec, string reference)
    {
        Skip.If(MpMath.Python is null, MpMath.SkipMessage);
        var act = (Activation)Architecture.ParseLayer(spec);
        var cov = Covariances();
        var input = new StringBuilder(reference).Append('\n');
        foreach (var (q11, _, q22, r12) in cov) input.AppendLine(CultureInfo.InvariantCulture, $"{q11:R} {r12:R} {q22:R}");
        var lines = MpMath.Run(Script, input.ToString()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var report = new StringBuilder();
        for (int k = 0; k < cov.Count; k++)
        {
            var (q11, q12, q22, _) = cov[k];
            var parts = lines[k].Split(' ');
            double n = double.Parse(parts[0], CultureInfo.InvariantCulture), t = double.Parse(parts[1], CultureInfo.InvariantCulture);
            // Values the size of rounding noise against an O(1) scale (E[φ'φ'] of antipodal gelu inputs at large q) are compared absolutely.
            double en = Math.Min(RelativeError(act.Nngp(q11, q12, q22), n), Math.Abs(act.Nngp(q11, q12, q22) - n) / 1e-4);
            double et = Math.Min(RelativeError(act.NtkFactor(q11, q12, q22), t), Math.Abs(act.NtkFactor(q11, q12, q22) - t) / 1e-4);
            if (en > 1e-12 || et > 1e-12)
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"({q11:R}, {q12:R}, {q22:R}): nngp {act.Nngp(q11, q12, q22):R} vs {n:R} ({en:E1}), ntk factor {act.NtkFactor(q11, q12, q22):R} vs {t:R} ({et:E1})");
        }
        Assert.True(report.Length == 0, $"{spec}:\n{report}");
    }
}
