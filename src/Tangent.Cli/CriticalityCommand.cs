using System.CommandLine;
using System.Globalization;
using Tangent.Layers;

namespace Tangent.Cli;

/// <summary>`tangent criticality`: fixed point, susceptibilities and phase of (activation, σw, σb).</summary>
internal static class CriticalityCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("criticality",
            "Mean-field criticality of a deep fully connected network (Poole et al. 2016; Schoenholz et al. 2017): " +
            "the variance fixed point q*, the susceptibilities χ∥ and χ⊥, the phase, and the critical σw at σb = 0.");
        var act = new Option<string>("--act") { Description = "Activation in the spec language, e.g. relu, erf, gelu, leaky_relu(alpha=0.1), sin(b=2).", Required = true };
        var w = new Option<double?>("--w") { Description = "σw (default: the critical σw at σb = 0 when there is one, else 1)." };
        var b = new Option<double>("--b") { Description = "σb (default 0).", DefaultValueFactory = _ => 0.0 };
        cmd.Options.Add(act);
        cmd.Options.Add(w);
        cmd.Options.Add(b);
        cmd.SetAction(r =>
        {
            string spec = r.GetValue(act)!;
            if (string.IsNullOrWhiteSpace(spec)) throw new CliError("--act is empty; give one activation, e.g. --act relu, --act erf or --act \"gelu\".");
            if (Architecture.ParseLayer(spec) is not Activation phi)
                throw new ArgumentException($"--act takes one activation (e.g. relu, erf, gelu, tanh), got the architecture '{spec}'.");
            double sb = r.GetValue(b);
            if (!(sb >= 0) || !double.IsFinite(sb)) throw new ArgumentException($"--b must be a finite number ≥ 0 (σb), got {Raw(r, b, sb)}.");
            double? givenW = r.GetValue(w);
            if (givenW is { } gw && (!(gw >= 0) || !double.IsFinite(gw))) throw new ArgumentException($"--w must be a finite number ≥ 0 (σw), got {Raw(r, w, gw)}.");
            var search = Criticality.FindCriticalWeightStd(phi, 0);
            double sw = givenW ?? search.WeightStd ?? 1;
            var res = Criticality.Analyze(phi, sw, sb);
            output.WriteLine($"activation: {phi}");
            output.WriteLine($"σw = {F(sw)}, σb = {F(sb)}");
            output.WriteLine(res.Marginal
                ? Math.Abs(res.ChiParallel - 1) <= 1e-14   // exact up to the rounding of σw²
                    ? "q*  = every q   σw²·E[φ(z)²] = q: φ is positively homogeneous, so at σb = 0 every q is a fixed point (marginal)"
                    : $"q*  = every q   σw²·E[φ(z)²] = {F(res.ChiParallel)}·q: φ is positively homogeneous, so at σb = 0 every q is a fixed point " +
                      $"up to a drift of {F(Math.Abs(res.ChiParallel - 1))} per layer (marginal)"
                : double.IsFinite(res.FixedPoint)
                    ? $"q*  = {F(res.FixedPoint)}   fixed point of q ↦ σw²·E[φ(z)²] + σb², z ~ N(0, q), from q = 1{(res.Converged ? "" : " (did not converge)")}"
                    : "q*  : none   q ↦ σw²·E[φ(z)²] + σb² grows without bound from q = 1: the signal's variance explodes with depth (lower σw or σb)");
            if (!double.IsFinite(res.FixedPoint) && !res.Marginal)
            {
                output.WriteLine($"χ∥, χ⊥: {(double.IsFinite(res.ChiPerp) ? $"χ⊥ tends to {F(res.ChiPerp)} as q grows" : "they grow without bound as q grows")} (no fixed point to evaluate them at)");
                output.WriteLine("phase: exploding (no finite fixed point: activations blow up layer after layer)");
                output.WriteLine(Describe(search));
                return TangentCli.Ok;
            }
            output.WriteLine($"χ∥  = {F(res.ChiParallel)}   σw²·∂E[φ(z)²]/∂q at q* (= σw²·E[φ'² + φφ''])");
            output.WriteLine($"χ⊥  = {F(res.ChiPerp)}   σw²·E[φ'(z)²] at q*");
            string why = res.Phase switch
            {
                Phase.Ordered => "χ⊥ < 1: inputs become correlated with depth, gradients vanish",
                Phase.Chaotic => "χ⊥ > 1: inputs decorrelate with depth, gradients explode",
                _ => "χ⊥ = 1: edge of chaos",
            };
            output.WriteLine($"phase: {res.Phase.ToString().ToLowerInvariant()} ({why})");
            output.WriteLine(Describe(search));
            return TangentCli.Ok;
        });
        return cmd;
    }

    private static string F(double v) =>
        double.IsPositiveInfinity(v) ? "∞" : double.IsNegativeInfinity(v) ? "−∞" : double.IsNaN(v) ? "undefined" : v.ToString("G10", CultureInfo.InvariantCulture);

    /// <summary>The last line: the critical σw at σb = 0, or why there is none.</summary>
    /// <summary>The value as the user typed it, with its meaning when that differs (1e400 = ∞).</summary>
    private static string Raw(ParseResult r, Option option, double value)
    {
        string? typed = r.GetResult(option)?.Tokens is { Count: > 0 } tokens ? tokens[0].Value : null;
        string v = value.ToString(CultureInfo.InvariantCulture);
        return typed is null || typed == v ? v : $"{typed} (= {v})";
    }

    private static string Q(double q) => double.IsFinite(q) ? F(q) : "unbounded growth";

    internal static string Describe(CriticalSearch s)
    {
        const string range = "[0.001, 100]";
        if (s.WeightStd is { } c)
            return s.Exact
                ? $"critical σw at σb = 0: {F(c)}{Root(c * c)} exactly, σw = √(1/E[φ'(z)²]): φ is positively homogeneous, so χ⊥ = σw²·E[φ'(z)²] = 1 at every q"
                : $"critical σw at σb = 0: {F(c)} (χ⊥ = 1)";
        if (s.JumpAt is { } j)
            return $"no critical σw at σb = 0: χ⊥ jumps from {F(s.Below!.ChiPerp)} to {F(s.Above!.ChiPerp)} at σw ≈ {F(j)}, " +
                   $"where q* jumps from {Q(s.Below.FixedPoint)} to {Q(s.Above.FixedPoint)}; no σw has χ⊥ = 1";
        return s.Below is { } lo && s.Above is { } hi
            ? $"no critical σw at σb = 0 in {range}: χ⊥ = {F(lo.ChiPerp)} at σw = 0.001 and {F(hi.ChiPerp)} at σw = 100"
            : $"no critical σw at σb = 0 in {range}";
    }

    /// <summary>" = √x" (x to 10 digits, e.g. " = √2"), or nothing when x = 1.</summary>
    private static string Root(double x) => Math.Abs(x - 1) < 1e-12 ? "" : $" = √{F(Math.Round(x, 10))}";
}
