using System.Globalization;

namespace Tangent.Layers;

/// <summary>The kind of value a spec parameter takes (docs/LAYERS.md, "Layers").</summary>
public enum SpecParameterKind
{
    /// <summary>A number, or sqrt(…) of one.</summary>
    Real,
    /// <summary>A whole number.</summary>
    Int,
    /// <summary>One word out of a fixed set.</summary>
    Enum,
    /// <summary>Numbers separated by ';' (polynomial coefficients).</summary>
    List,
}

/// <summary>
/// One parameter of a spec layer: its name, kind, default as written in a spec ("required" when it has
/// none, "none" when leaving it out means "not set", e.g. an infinite width) and its valid range in words.
/// </summary>
/// <param name="Name">The key written in the spec, e.g. <c>w</c> in <c>dense(w=1.5)</c>.</param>
/// <param name="Kind">The kind of value.</param>
/// <param name="Default">The default as spec text, "required" or "none".</param>
/// <param name="Range">The valid values in words, as in the parser's messages.</param>
public sealed record SpecParameter(string Name, SpecParameterKind Kind, string Default, string Range)
{
    /// <summary>Real: the default value (used when the key is absent and <see cref="Missing"/> is null).</summary>
    internal double RealDefault { get; init; }
    /// <summary>Real: whether a value is in range (after sqrt(…) is evaluated).</summary>
    internal Func<double, bool> Valid { get; init; } = double.IsFinite;
    /// <summary>Int: the default, null for "none".</summary>
    internal int? IntDefault { get; init; }
    /// <summary>Int: the smallest and largest valid values.</summary>
    internal int Min { get; init; }
    /// <summary>Int: the largest valid value.</summary>
    internal int Max { get; init; } = int.MaxValue;
    /// <summary>Enum: the accepted words; the default is <see cref="Default"/>.</summary>
    internal string[] Values { get; init; } = [];
    /// <summary>List: the most entries.</summary>
    internal int MaxCount { get; init; } = int.MaxValue;
    /// <summary>The message when a required parameter is absent; null when the parameter is optional.</summary>
    internal string? Missing { get; init; }
    /// <summary>A valid value as spec text, used when the parameter is required (docs and round-trip tests).</summary>
    internal string? Example { get; init; }

    /// <summary>Equal when the name, kind, default and range are (the checks behind them follow from those).</summary>
    public bool Equals(SpecParameter? other) =>
        other is not null && (Name, Kind, Default, Range) == (other.Name, other.Kind, other.Default, other.Range);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Kind, Default, Range);
}

/// <summary>
/// One name of the spec language: its parameters and, for a layer, the factory from parsed values to a
/// <see cref="Layer"/>. Combinators (repeat, parallel, concat, product) have no factory: the parser builds
/// them from their braces.
/// </summary>
/// <param name="Name">The name written in the spec.</param>
/// <param name="Parameters">The parameters, in the order the messages list them.</param>
/// <param name="Example">A spec text that parses with this entry (its required parameters filled in).</param>
public sealed record SpecEntry(string Name, IReadOnlyList<SpecParameter> Parameters, string Example)
{
    /// <summary>Builds the layer from the values, one per parameter (defaults filled in); null for a combinator.</summary>
    internal Func<SpecValues, Layer>? Factory { get; init; }

    /// <summary>Whether this is a combinator with a structural body (repeat, parallel, concat, product).</summary>
    public bool IsCombinator => Factory is null;
}

/// <summary>Parsed, range-checked values of one layer's parameters (defaults filled in), for a factory.</summary>
internal sealed class SpecValues(Dictionary<string, object?> values)
{
    public double Real(string key) => (double)values[key]!;
    public int Int(string key) => (int)values[key]!;
    public int? IntOrNone(string key) => (int?)values[key];
    public string Word(string key) => (string)values[key]!;
    public double[] List(string key) => (double[])values[key]!;
}

/// <summary>
/// The one registry of the spec language (name → parameters with defaults → factory), used by the parser
/// for lookup, validation and "did you mean" suggestions, and checked against the layer table of
/// docs/LAYERS.md by the tests. Each layer's printing stays in its class (<see cref="object.ToString"/>).
/// </summary>
public static class SpecRegistry
{
    /// <summary>Highest degree of hermite, monomial, rectified_monomial and polynomial (their Gaussian moments stay exact in float64 up to here).</summary>
    internal const int MaxDegree = 30;

    private static SpecParameter Real(string name, double def, string range = "a finite number", Func<double, bool>? valid = null) =>
        new(name, SpecParameterKind.Real, Format(def), range) { RealDefault = def, Valid = valid ?? double.IsFinite };

    private static SpecParameter Std(string name, string what) =>
        Real(name, name == "w" ? 1 : 0, $"a finite number ≥ 0 ({what})", x => double.IsFinite(x) && x >= 0);

    private static SpecParameter Int(string name, int? def, int min, int max = int.MaxValue) =>
        new(name, SpecParameterKind.Int, def?.ToString(CultureInfo.InvariantCulture) ?? "none",
            max == int.MaxValue ? $"≥ {min}" : min == max - 1 ? $"{min} or {max}" : $"in {min}..{max}")
        { IntDefault = def, Min = min, Max = max };

    private static SpecParameter EnumParam(string name, string def, params string[] values) =>
        new(name, SpecParameterKind.Enum, def, values.Length == 2 ? $"{values[0]} or {values[1]}" : $"{string.Join(", ", values[..^1])} or {values[^1]}")
        { Values = values };

    /// <summary>frozen=true fixes a dense or conv layer at its initialisation (docs/LAYERS.md, "Frozen layers").</summary>
    private static SpecParameter Frozen => EnumParam("frozen", "false", "true", "false");

    private static SpecParameter PaddingParam(string def) => EnumParam("padding", def, "same", "valid", "circular");

    private static string Format(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static SpecEntry Leaf(string name, Func<SpecValues, Layer> factory, params SpecParameter[] parameters)
    {
        var required = parameters.Where(p => p.Example is not null).Select(p => $"{p.Name}={p.Example}").ToArray();
        return new SpecEntry(name, parameters, required.Length == 0 ? name : $"{name}({string.Join(",", required)})") { Factory = factory };
    }

    private static readonly SpecParameter[] Abc = [Real("a", 1), Real("b", 1), Real("c", 0)];
    private static SpecParameter Degree => Int("n", 1, 0, MaxDegree);

    private static Padding PaddingOf(string word) => word switch
    {
        "same" => Padding.Same,
        "valid" => Padding.Valid,
        _ => Padding.Circular,
    };

    private static readonly SpecEntry[] Entries =
    [
        Leaf("dense", v => new Dense(v.Real("w"), v.Real("b"), v.Word("param") == "standard" ? Parameterization.Standard : Parameterization.Ntk, v.IntOrNone("width"), v.Word("frozen") == "true"),
            Std("w", "σw"), Std("b", "σb"), EnumParam("param", "ntk", "ntk", "standard"), Int("width", null, 1), Frozen),
        Leaf("identity", _ => new Identity()),
        Leaf("relu", _ => ABRelu.Relu()),
        Leaf("leaky_relu", v => ABRelu.LeakyRelu(v.Real("alpha")), Real("alpha", 0.01)),
        Leaf("abrelu", v => new ABRelu(v.Real("a"), v.Real("b")), Real("a", 0), Real("b", 1)),
        Leaf("abs", _ => ABRelu.Abs()),
        Leaf("erf", v => new Erf(v.Real("a"), v.Real("b"), v.Real("c")), Abc),
        Leaf("gelu", _ => new Gelu()),
        Leaf("sin", v => new Sin(v.Real("a"), v.Real("b"), v.Real("c")), Abc),
        Leaf("cos", v => Sin.Cos(v.Real("a"), v.Real("b"), v.Real("c")), Abc),
        Leaf("exp", v => new Exp(v.Real("a"), v.Real("b")), Real("a", 1), Real("b", 1)),
        Leaf("gaussian", v => new Gaussian(v.Real("a"), v.Real("b")), Real("a", 1),
            Real("b", -1, "a finite number < 0, so that a·exp(b·x²) decays (e.g. b=-1)", x => double.IsFinite(x) && x < 0)),
        Leaf("hermite", v => new Hermite(v.Int("n")), Degree),
        Leaf("monomial", v => new Monomial(v.Int("n")), Degree),
        Leaf("polynomial", v => new Polynomial(v.List("coef")),
            new SpecParameter("coef", SpecParameterKind.List, "required", $"1 to {MaxDegree + 1} finite numbers c0;c1;… (degree ≤ {MaxDegree})")
            {
                MaxCount = MaxDegree + 1, Example = "0;1;0.5",
                Missing = "polynomial needs coefficients c0;c1;…, e.g. polynomial(coef=0;1;0.5).",
            }),
        Leaf("sign", _ => new Sign()),
        Leaf("rbf", v => new Rbf(v.Real("gamma")),
            Real("gamma", 1, "a finite number > 0 (the inverse squared length-scale over 2, e.g. gamma=1)", x => double.IsFinite(x) && x > 0)),
        Leaf("gabor", _ => new Gabor()),
        Leaf("rectified_monomial", v => new RectifiedMonomial(v.Int("n")), Degree),
        Leaf("sigmoid_like", _ => new SigmoidLike()),
        Leaf("tanh", _ => QuadratureActivation.Tanh()),
        Leaf("sigmoid", _ => QuadratureActivation.Sigmoid()),
        Leaf("softplus", _ => QuadratureActivation.Softplus()),
        Leaf("silu", _ => QuadratureActivation.Silu()),
        Leaf("swish", _ => QuadratureActivation.Silu()),
        Leaf("elu", v => QuadratureActivation.Elu(v.Real("alpha")), Real("alpha", 1)),
        Leaf("selu", _ => QuadratureActivation.Selu()),
        Leaf("mish", _ => QuadratureActivation.Mish()),
        new SpecEntry("repeat", [], "repeat(2){dense relu}"),
        new SpecEntry("parallel", [], "parallel{identity | dense relu dense}"),
        new SpecEntry("concat", [], "concat{identity | dense relu}"),
        Leaf("conv", v => new Conv(v.Int("size"), v.Real("w"), v.Real("b"), v.Int("stride"), PaddingOf(v.Word("padding")), v.Int("dims"), v.IntOrNone("channels"), v.Word("frozen") == "true"),
            Int("size", 3, 1), Std("w", "σw"), Std("b", "σb"), Int("stride", 1, 1), PaddingParam("same"), Int("dims", 2, 1, 2), Int("channels", null, 1), Frozen),
        Leaf("conv_transpose", v => new ConvTranspose(v.Int("size"), v.Real("w"), v.Real("b"), v.Int("stride"), PaddingOf(v.Word("padding")), v.Int("dims"), v.IntOrNone("channels"), v.Word("frozen") == "true"),
            Int("size", 3, 1), Std("w", "σw"), Std("b", "σb"), Int("stride", 1, 1), EnumParam("padding", "valid", "same", "valid"), Int("dims", 2, 1, 2), Int("channels", null, 1), Frozen),
        Leaf("avg_pool", v => new AvgPool(v.Int("size"), v.IntOrNone("stride"), PaddingOf(v.Word("padding")), v.Int("dims")),
            Int("size", 2, 1), Int("stride", null, 1) with { Default = "size" }, PaddingParam("valid"), Int("dims", 2, 1, 2)),
        Leaf("flatten", _ => new Flatten()),
        Leaf("global_avg_pool", _ => new GlobalAvgPool()),
        Leaf("dropout", v => new Dropout(v.Real("rate")),
            Real("rate", 0, "a number in [0, 1) (the probability that a unit is dropped)", x => x >= 0 && x < 1) with
            {
                Default = "required", Example = "0.1", Missing = "dropout needs its drop probability, e.g. dropout(rate=0.1).",
            }),
        Leaf("layer_norm", _ => new LayerNorm()),
        Leaf("sum_pool", v => new SumPool(v.Int("size"), v.IntOrNone("stride"), PaddingOf(v.Word("padding")), v.Int("dims")),
            Int("size", 2, 1), Int("stride", null, 1) with { Default = "size" }, PaddingParam("valid"), Int("dims", 2, 1, 2)),
        Leaf("global_sum_pool", _ => new GlobalSumPool()),
        new SpecEntry("product", [], "product{dense | dense}"),
    ];

    private static readonly Dictionary<string, SpecEntry> ByName = Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);

    /// <summary>Every name of the spec language (layers and combinators), in the order messages list them.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>The entry of <paramref name="name"/>, or false when the spec language has no such name.</summary>
    public static bool TryGet(string name, out SpecEntry entry) => ByName.TryGetValue(name, out entry!);

    /// <summary>
    /// The parameters of <paramref name="name"/> with their defaults and valid ranges (empty for a layer
    /// without parameters and for the combinators, whose count and branches are structural).
    /// </summary>
    /// <exception cref="ArgumentException">The spec language has no layer <paramref name="name"/>.</exception>
    public static IReadOnlyList<SpecParameter> Describe(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (TryGet(name, out var entry)) return entry.Parameters;
        throw new ArgumentException($"Unknown layer '{name}'.{Suggest(name, Names)} Known layers: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>" Did you mean 'x'?" for the closest candidate within a few edits, or "".</summary>
    internal static string Suggest(string word, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (c, d: Diagnostics.Spelling.Distance(word, c))).OrderBy(t => t.d).FirstOrDefault();
        return best.c is not null && best.d <= Math.Max(2, word.Length / 2) ? $" Did you mean '{best.c}'?" : "";
    }
}
