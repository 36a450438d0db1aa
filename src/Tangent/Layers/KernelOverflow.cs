using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// A kernel matrix of a network came out NaN or infinite (float64 overflow). The message names the
/// layer where it happened and the fix (<see cref="KernelOverflow.Diagnose"/>). Distinct from the
/// classical kernels' overflow exception in Tangent.Kernels; both are <see cref="InvalidOperationException"/>s,
/// which the command line reports as a user error (exit 2).
/// </summary>
public sealed class NetworkKernelOverflowException(string message) : InvalidOperationException(message);

/// <summary>
/// Finds where a network's kernel overflows float64 and says what to do (docs/LAYERS.md, "Limits").
/// By Cauchy–Schwarz every NNGP and NTK entry is bounded by the geometric mean of its two diagonal
/// entries (both kernels are positive semi-definite), so a kernel overflows off the diagonal only
/// where a diagonal overflows: walking each input's diagonal state K(x, x) layer by layer with the
/// layers' public <see cref="Layer.Apply"/> finds the first layer at fault. O(n·layers), negligible
/// next to the kernel itself.
/// </summary>
public static class KernelOverflow
{
    /// <summary>Variances from here on are "large" when deciding whether the inputs or a parameter is at fault.</summary>
    private const double Large = 1e100;

    /// <summary>
    /// A one-line diagnosis of the first layer at which the NNGP or NTK of some input's diagonal state
    /// becomes NaN or infinite — the layer's spec text, its 1-based position in the unrolled network,
    /// the value before and after, and the fix — or null when no diagonal overflows (or the architecture
    /// has image layers, whose diagonal needs the whole image).
    /// </summary>
    /// <param name="architecture">The network.</param>
    /// <param name="x1">The first inputs (rows).</param>
    /// <param name="x2">The second inputs, or null.</param>
    /// <param name="outputs">The kernels computed: an NTK overflow is not reported when only the NNGP was asked for.</param>
    public static string? Diagnose(Architecture architecture, Matrix x1, Matrix? x2 = null, KernelOutputs outputs = KernelOutputs.Both)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(x1);
        if (architecture.HasImageLayers) return null;
        Failure? best = null;
        foreach (var (x, name) in x2 is null || ReferenceEquals(x1, x2) ? [(x1, "X1")] : new[] { (x1, "X1"), (x2, "X2") })
        {
            if (x.Cols == 0) continue;
            if (x.FirstNonFinite() is var (i, j))
                return $"{name} row {i + 1}, column {j + 1} is {Fmt(x[i, j])}: kernels need finite inputs. Remove or impute that value.";
            for (int r = 0; r < x.Rows; r++)
            {
                var walk = new Walk(r, name, outputs.HasFlag(KernelOutputs.Ntk) && architecture.HasNtk);
                try { walk.Run(architecture.Root, KernelState.FromInputs(x.Row(r), x.Row(r))); }
                catch (InvalidOperationException) { return null; }   // not an overflow (e.g. a 'standard' layer without a width): ComputeKernels says so itself
                if (walk.Found is { } f && (best is null || f.Position < best.Position)) best = f;
            }
        }
        return best?.Message(SpecParser.UnrolledLayers(architecture.Root));
    }

    /// <summary>
    /// Throws <see cref="NetworkKernelOverflowException"/> when a computed matrix holds a NaN or infinity:
    /// with <see cref="Diagnose"/>'s message, or else one naming the first bad entry.
    /// </summary>
    /// <param name="architecture">The network.</param>
    /// <param name="x1">The first inputs.</param>
    /// <param name="x2">The second inputs, or null.</param>
    /// <param name="result">The matrices computed from them.</param>
    public static void ThrowIfOverflowed(Architecture architecture, Matrix x1, Matrix? x2, KernelResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var (m, what) in result.Computed())
            if (m.FirstNonFinite() is var (i, j))
                throw new NetworkKernelOverflowException(Diagnose(architecture, x1, x2, (result.HasNngp ? KernelOutputs.Nngp : 0) | (result.HasNtk ? KernelOutputs.Ntk : 0))
                    ?? $"The {what} entry ({i + 1}, {j + 1}) is {Fmt(m[i, j])}: the kernel overflowed float64. Rescale or standardize the inputs, or use a smaller σw.");
    }

    private static string Fmt(double v) =>
        double.IsPositiveInfinity(v) ? "∞" : double.IsNegativeInfinity(v) ? "−∞" : double.IsNaN(v) ? "NaN" : v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Shortens a long spec for a message.</summary>
    private static string Short(Layer layer)
    {
        string s = layer.ToString();
        return s.Length <= 60 ? s : s[..57] + "…";
    }

    /// <summary>The first overflow along one input's diagonal.</summary>
    private sealed record Failure(int Position, Layer Layer, string Context, string Kernel, double Before, double After, string Fix, int Row, string Input)
    {
        public string Message(double total) => Position == 0
            ? $"The kernel overflows float64 before the first layer: the squared norm ‖x‖²/d of input row {Row + 1} of {Input} is {Fmt(After)}. {Fix}"
            : $"The kernel overflows float64 at layer {Position} of {total.ToString("0", CultureInfo.InvariantCulture)}, '{Short(Layer)}'{Context}: " +
              $"for input row {Row + 1} of {Input} its {Kernel} goes from {Fmt(Before)} to {Fmt(After)}. {Fix}";
    }

    /// <summary>Walks one input's diagonal state through the layers in application order, stopping at the first overflow.</summary>
    private sealed class Walk(int row, string input, bool withNtk)
    {
        private int _position;
        private double _inputVariance;
        private readonly List<string> _context = [];
        public Failure? Found;

        public void Run(Layer root, KernelState s)
        {
            _inputVariance = s.Cov1;
            if (!double.IsFinite(s.Cov1))
            {
                Found = new Failure(0, root, "", "input variance ‖x‖²/d", 0, s.Cov1,
                    "Rescale or standardize the inputs.", row, input);
                return;
            }
            Visit(root, s);
        }

        /// <summary>The state after <paramref name="layer"/>, or null once an overflow is found. Recursion is bounded by the spec's nesting limit.</summary>
        private KernelState? Visit(Layer layer, KernelState s)
        {
            switch (layer)
            {
                case Serial serial:
                    foreach (var l in serial.Layers)
                        if (Visit(l, s) is { } next) s = next; else return null;
                    return s;
                case Repeat repeat:
                    for (int k = 0; k < repeat.Count; k++)
                    {
                        _context.Add($"repetition {k + 1} of {repeat.Count} of '{Short(repeat)}'");
                        var next = Visit(repeat.Body, s);
                        _context.RemoveAt(_context.Count - 1);
                        if (next is null) return null;
                        s = next.Value;
                    }
                    return s;
                case ParallelBranches parallel:
                    for (int b = 0; b < parallel.Branches.Count; b++)
                    {
                        _context.Add($"branch {b + 1} of '{Short(parallel)}'");
                        var next = Visit(parallel.Branches[b], s);
                        _context.RemoveAt(_context.Count - 1);
                        if (next is null) return null;
                    }
                    return Check(parallel, s, parallel.Apply(s));   // the sum of finite branches can still overflow
                default:
                    _position++;
                    return Check(layer, s, layer.Apply(s));
            }
        }

        private KernelState? Check(Layer layer, KernelState before, KernelState after)
        {
            bool badNngp = !double.IsFinite(after.Nngp) || !double.IsFinite(after.Cov1);
            bool badNtk = withNtk && !double.IsFinite(after.Ntk);
            if (!badNngp && !badNtk) return after;
            string context = _context.Count == 0 ? "" : " (" + string.Join(", ", Enumerable.Reverse(_context)) + ")";
            Found = badNngp
                ? new Failure(_position, layer, context, "NNGP variance", before.Cov1, double.IsFinite(after.Cov1) ? after.Nngp : after.Cov1, Fix(layer, before, ntk: false), row, input)
                : new Failure(_position, layer, context, "NTK", before.Ntk, after.Ntk, Fix(layer, before, ntk: true), row, input);
            return null;
        }

        private string Fix(Layer layer, KernelState before, bool ntk)
        {
            string inputs = $"The inputs are large (‖x‖²/d = {Fmt(_inputVariance)}): rescale or standardize the inputs.";
            if (_inputVariance >= Large) return inputs;
            switch (layer)
            {
                case Dense d:
                {
                    double w2 = d.WeightStd * d.WeightStd, b2 = d.BiasStd * d.BiasStd;
                    if (!(w2 < Large) && w2 >= b2) return $"σw = {Fmt(d.WeightStd)} makes the variance overflow: use a smaller w.";
                    if (!(b2 < Large)) return $"σb = {Fmt(d.BiasStd)} makes the variance overflow: use a smaller b.";
                    if (ntk && d.Parameterization == Parameterization.Standard)
                        return $"The 'standard' NTK grows with the layer widths (input width {before.Width}): use smaller widths, the 'ntk' parameterization, or fewer layers.";
                    return ntk
                        ? $"The NTK accumulates through the layers (×σw² = {Fmt(w2)} per dense layer): use a smaller w or fewer layers."
                        : $"The variance grows through the layers (×σw² = {Fmt(w2)} per dense layer): use a smaller w (see tangent criticality), fewer layers, or rescale the inputs.";
                }
                case Activation a:
                    return $"{a} maps the variance {Fmt(before.Cov1)} beyond the float64 range: use smaller parameters in {a}, or a smaller σw or smaller inputs before it.";
                default:
                    return $"Use smaller σw before it, fewer layers, or rescale the inputs.";
            }
        }
    }
}
