using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tangent.Layers;

namespace Tangent.Models;

/// <summary>
/// Sets or scales σw and σb of every dense and convolutional layer of an architecture (docs/SELECTION.md).
/// Works on the spec text (<see cref="Architecture.ToString"/>, which <see cref="Architecture.Parse"/> reads
/// back): each <c>dense</c>, <c>conv</c> and <c>conv_transpose</c> gets new <c>w=</c>/<c>b=</c> arguments, the
/// other arguments (parameterization, width, size, stride, …) are kept, and the input shape is carried over.
/// </summary>
public static partial class ArchitectureScaling
{
    [GeneratedRegex(@"\b(dense|conv_transpose|conv)\b(\(([^()]*)\))?", RegexOptions.CultureInvariant)]
    private static partial Regex WeightedLayer();

    /// <summary>The architecture with σw (when <paramref name="weightStd"/> is set) and σb (when <paramref name="biasStd"/> is set)
    /// of every dense and convolutional layer replaced.</summary>
    /// <exception cref="ArgumentException">The architecture has no dense or convolutional layer.</exception>
    public static Architecture WithStds(Architecture architecture, double? weightStd, double? biasStd) =>
        Rewrite(architecture, w => weightStd ?? w, b => biasStd ?? b);

    /// <summary>The architecture with every layer's σw² multiplied by <paramref name="weightVarianceFactor"/> and σb² by
    /// <paramref name="biasVarianceFactor"/> (the ratios between layers are kept; σb = 0 stays 0).</summary>
    /// <exception cref="ArgumentException">The architecture has no dense or convolutional layer.</exception>
    public static Architecture ScaleVariances(Architecture architecture, double weightVarianceFactor, double biasVarianceFactor) =>
        Rewrite(architecture, w => w * Math.Sqrt(weightVarianceFactor), b => b * Math.Sqrt(biasVarianceFactor));

    /// <summary>True when some dense or convolutional layer has a bias (σb ≠ 0).</summary>
    public static bool HasBias(Architecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        bool any = false;
        Rewrite(architecture, w => w, b => { any |= b != 0; return b; });
        return any;
    }

    private static Architecture Rewrite(Architecture architecture, Func<double, double> weight, Func<double, double> bias)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        string text = architecture.ToString();
        int count = 0;
        string rewritten = WeightedLayer().Replace(text, m =>
        {
            count++;
            var args = new List<(string Key, string Value)>();
            if (m.Groups[3].Success)
                foreach (var part in m.Groups[3].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    int eq = part.IndexOf('=', StringComparison.Ordinal);
                    args.Add(eq < 0 ? (part, "") : (part[..eq].Trim(), part[(eq + 1)..].Trim()));
                }
            double w = Get(args, "w", 1), b = Get(args, "b", 0);
            args.RemoveAll(a => a.Key is "w" or "b");
            var sb = new StringBuilder(m.Groups[1].Value).Append('(');
            var all = new List<string> { "w=" + Fmt(weight(w)), "b=" + Fmt(bias(b)) };
            all.AddRange(args.Select(a => a.Value.Length == 0 ? a.Key : a.Key + "=" + a.Value));
            return sb.Append(string.Join(",", all)).Append(')').ToString();
        });
        if (count == 0)
            throw new ArgumentException($"The architecture '{text}' has no dense or conv layer whose σw/σb could be set; remove w and b from the grid.");
        var result = Architecture.Parse(rewritten);
        return architecture.InputShape is { } shape ? result.WithInputShape(shape) : result;
    }

    private static double Get(List<(string Key, string Value)> args, string key, double fallback)
    {
        foreach (var (k, v) in args)
            if (k == key) return double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture);
        return fallback;
    }

    private static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
