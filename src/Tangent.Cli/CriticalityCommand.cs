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
            if (Architecture.ParseLayer(spec) is not Activation phi)
                throw new ArgumentException($"--act takes one activation (e.g. relu, erf, gelu, tanh-like erf(b=1)), got the architecture '{spec}'.");
            double sb = r.GetValue(b);
            if (!(sb >= 0)) throw new ArgumentException($"--b must be ≥ 0, got {sb}.");
            double? critical = Criticality.CriticalWeightStd(phi, 0);
            double sw = r.GetValue(w) ?? critical ?? 1;
            if (!(sw >= 0)) throw new ArgumentException($"--w must be ≥ 0, got {sw}.");
            var res = Criticality.Analyze(phi, sw, sb);
            string F(double v) => double.IsPositiveInfinity(v) ? "∞" : v.ToString("G10", CultureInfo.InvariantCulture);
            output.WriteLine($"activation: {phi}");
            output.WriteLine($"σw = {F(sw)}, σb = {F(sb)}");
            output.WriteLine($"q*  = {F(res.FixedPoint)}   fixed point of q ↦ σw²·E[φ(z)²] + σb², z ~ N(0, q), from q = 1{(res.Converged ? "" : " (did not converge)")}");
            output.WriteLine($"χ∥  = {F(res.ChiParallel)}   σw²·∂E[φ(z)²]/∂q at q* (= σw²·E[φ'² + φφ''])");
            output.WriteLine($"χ⊥  = {F(res.ChiPerp)}   σw²·E[φ'(z)²] at q*");
            string why = res.Phase switch
            {
                Phase.Ordered => "χ⊥ < 1: inputs become correlated with depth, gradients vanish",
                Phase.Chaotic => "χ⊥ > 1: inputs decorrelate with depth, gradients explode",
                _ => "χ⊥ = 1: edge of chaos",
            };
            output.WriteLine($"phase: {res.Phase.ToString().ToLowerInvariant()} ({why})");
            output.WriteLine(critical is { } c
                ? $"critical σw at σb = 0: {F(c)} (χ⊥ = 1)"
                : "critical σw at σb = 0: none in [0.001, 100]");
            return TangentCli.Ok;
        });
        return cmd;
    }
}
