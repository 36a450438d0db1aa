using System.Globalization;
using System.Text;

namespace Tangent.Layers;

/// <summary>
/// Reads the architecture spec language (grammar in docs/LAYERS.md):
/// <code>
/// seq   := item (space item)*
/// item  := NAME ['(' args ')'] | 'repeat(' INT ')' '{' seq '}' | ('parallel' | 'concat') '{' seq ('|' seq)* '}' | '{' seq '}'
/// args  := KEY '=' value (',' KEY '=' value)*
/// value := NUMBER | 'sqrt(' NUMBER ')' | NUMBER (';' NUMBER)* | WORD
/// </code>
/// Errors are <see cref="FormatException"/>s naming the column with a caret line under the spec.
/// Every numeric parameter is checked at parse time, after evaluating sqrt(…), against its layer's
/// range (finite, σ ≥ 0, whole counts, …); braces nest at most <see cref="MaxNesting"/> deep and the
/// unrolled network has at most <see cref="MaxLayers"/> layers (docs/LAYERS.md, "Limits").
/// </summary>
internal sealed class SpecParser
{
    /// <summary>Deepest nesting of braces (groups, repeat, parallel, concat) accepted.</summary>
    public const int MaxNesting = 64;

    /// <summary>Most layers the network may have once every repeat is unrolled (each branch counted).</summary>
    public const int MaxLayers = 100_000;

    /// <summary>Every layer name, for messages and suggestions.</summary>
    public static readonly string[] KnownLayers =
    [
        "dense", "identity", "relu", "leaky_relu", "abrelu", "abs", "erf", "gelu", "sin", "cos", "exp",
        "gaussian", "hermite", "monomial", "polynomial", "sign", "rbf", "gabor", "rectified_monomial", "sigmoid_like",
        "tanh", "sigmoid", "softplus", "silu", "swish", "elu", "selu", "mish", "repeat", "parallel", "concat",
        "conv", "avg_pool", "flatten", "global_avg_pool",
        "dropout", "layer_norm", "sum_pool", "global_sum_pool", "product",
    ];

    private static readonly Dictionary<string, string[]> Parameters = new()
    {
        ["dense"] = ["w", "b", "param", "width"],
        ["identity"] = [], ["relu"] = [], ["abs"] = [], ["gelu"] = [], ["sign"] = [],
        ["leaky_relu"] = ["alpha"], ["abrelu"] = ["a", "b"],
        ["erf"] = ["a", "b", "c"], ["sin"] = ["a", "b", "c"], ["cos"] = ["a", "b", "c"],
        ["exp"] = ["a", "b"], ["gaussian"] = ["a", "b"],
        ["hermite"] = ["n"], ["monomial"] = ["n"], ["polynomial"] = ["coef"],
        ["rbf"] = ["gamma"], ["gabor"] = [], ["rectified_monomial"] = ["n"], ["sigmoid_like"] = [],
        ["tanh"] = [], ["sigmoid"] = [], ["softplus"] = [], ["silu"] = [], ["swish"] = [], ["elu"] = ["alpha"], ["selu"] = [], ["mish"] = [],
        ["conv"] = ["size", "w", "b", "stride", "padding", "dims", "channels"], ["avg_pool"] = ["size", "stride", "padding", "dims"],
        ["flatten"] = [], ["global_avg_pool"] = [],
        ["dropout"] = ["rate"], ["layer_norm"] = [], ["sum_pool"] = ["size", "stride", "padding", "dims"], ["global_sum_pool"] = [],
    };

    private readonly string _s;
    private int _pos, _depth;

    private SpecParser(string s) => _s = s;

    public static Layer Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var p = new SpecParser(spec);
        p.SkipSpace();
        if (p.AtEnd) throw p.Error(0, "The architecture spec is empty. Example: dense(w=1.5,b=0.1) relu dense(w=1.5)");
        var layer = p.Sequence();
        p.SkipSpace();
        if (!p.AtEnd) throw p.Error(p._pos, $"Unexpected '{p._s[p._pos]}'" + (p._s[p._pos] is '}' or '|' ? " outside braces." : "."));
        double total = UnrolledLayers(layer);
        if (total > MaxLayers)
            throw p.Error(0, $"The network unrolls to {total:0} layers (repeats multiplied out); at most {MaxLayers} are supported. Use fewer or smaller repeats.");
        return layer;
    }

    /// <summary>
    /// The number of layer applications of one kernel evaluation: repeats multiplied out, every branch
    /// counted (a double, so that nested repeats cannot overflow). The recursion is bounded by <see cref="MaxNesting"/>.
    /// </summary>
    internal static double UnrolledLayers(Layer layer) => layer switch
    {
        Serial s => s.Layers.Sum(UnrolledLayers),
        Repeat r => r.Count * UnrolledLayers(r.Body),
        ParallelBranches p => p.Branches.Sum(UnrolledLayers),
        ProductFanIn p => p.Branches.Sum(UnrolledLayers),
        _ => 1,
    };

    /// <summary>Enters a brace at <paramref name="at"/>: at most <see cref="MaxNesting"/> levels.</summary>
    private void Enter(int at)
    {
        if (++_depth > MaxNesting)
            throw Error(at, $"Braces nest deeper than {MaxNesting} levels; flatten the groups (repeat(k){{…}} with a larger k replaces nested repeats).");
    }

    private bool AtEnd => _pos >= _s.Length;
    private char Peek => AtEnd ? '\0' : _s[_pos];

    private void SkipSpace() { while (!AtEnd && char.IsWhiteSpace(_s[_pos])) _pos++; }

    private Layer Sequence()
    {
        var items = new List<Layer>();
        while (true)
        {
            SkipSpace();
            if (AtEnd || Peek is '}' or '|') break;
            items.Add(Item());
        }
        if (items.Count == 0) throw Error(_pos, "Expected a layer here.");
        return items.Count == 1 ? items[0] : new Serial(items);
    }

    private Layer Item()
    {
        int start = _pos;
        if (Peek == '{')
        {
            Enter(_pos);
            _pos++;
            var inner = Sequence();
            Expect('}');
            _depth--;
            return inner is Serial ? inner : new Serial([inner]);
        }
        string name = Word();
        if (name.Length == 0) throw Error(start, $"Expected a layer name, got '{Peek}'. Known layers: {string.Join(", ", KnownLayers)}.");
        if (!KnownLayers.Contains(name)) throw UnknownLayer(start, name);
        switch (name)
        {
            case "repeat":
            {
                Expect('(');
                SkipSpace();
                int at = _pos;
                string count = Word();
                if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n is < 1 or > MaxLayers)
                    throw Error(at, $"repeat needs a whole count in 1..{MaxLayers}, e.g. repeat(3){{dense relu}}; got '{count}'.");
                Expect(')');
                var body = Body();
                Repeat repeat;
                try { repeat = new Repeat(n, body); }
                catch (ArgumentException e) { throw Error(start, e.Message); }
                double unrolled = UnrolledLayers(repeat);
                if (unrolled > MaxLayers)
                    throw Error(start, $"{name}({n}){{…}} unrolls to {unrolled:0} layers; at most {MaxLayers} are supported. Use a smaller count or a shorter body.");
                return repeat;
            }
            case "parallel":
            case "concat":
            case "product":
            {
                SkipSpace();
                Enter(_pos);
                Expect('{');
                var branches = new List<Layer> { Sequence() };
                while (Peek == '|') { _pos++; branches.Add(Sequence()); }
                Expect('}');
                _depth--;
                try { return name == "product" ? new ProductFanIn(branches) : new ParallelBranches(name == "parallel" ? FanIn.Sum : FanIn.Concat, branches); }
                catch (ArgumentException e) { throw Error(start, e.Message); }
            }
        }
        var args = new Dictionary<string, (string Value, int Column)>();
        if (Peek == '(') args = Arguments(name);
        try { return Build(name, args); }
        catch (ArgumentException e) { throw Error(start, e.Message); }
    }

    private Layer Body()
    {
        SkipSpace();
        Enter(_pos);
        Expect('{');
        var s = Sequence();
        Expect('}');
        _depth--;
        return s;
    }

    private Dictionary<string, (string, int)> Arguments(string layer)
    {
        Expect('(');
        var args = new Dictionary<string, (string, int)>();
        SkipSpace();
        if (Peek == ')') { _pos++; return args; }
        while (true)
        {
            SkipSpace();
            int at = _pos;
            string key = Word();
            var allowed = Parameters[layer];
            if (key.Length == 0) throw Error(at, $"Expected a parameter name ({Allowed(layer)}).");
            if (!allowed.Contains(key))
                throw Error(at, $"{layer} has no parameter '{key}'. {Allowed(layer)}{Suggest(key, allowed)}");
            if (args.ContainsKey(key)) throw Error(at, $"Parameter '{key}' is given twice.");
            SkipSpace();
            Expect('=');
            SkipSpace();
            int vat = _pos;
            var sb = new StringBuilder();
            int depth = 0;
            while (!AtEnd && (depth > 0 || (Peek != ',' && Peek != ')')) && !char.IsWhiteSpace(Peek))
            {
                if (Peek == '(') depth++;
                if (Peek == ')') depth--;
                sb.Append(_s[_pos++]);
            }
            if (sb.Length == 0) throw Error(vat, $"Expected a value for '{key}'.");
            args[key] = (sb.ToString(), vat);
            SkipSpace();
            if (Peek == ',') { _pos++; continue; }
            Expect(')');
            return args;
        }
    }

    private static string Allowed(string layer) =>
        Parameters[layer].Length == 0 ? $"{layer} takes no parameters." : $"{layer} takes: {string.Join(", ", Parameters[layer])}.";

    private Layer Build(string name, Dictionary<string, (string Value, int Column)> a)
    {
        // Every number is checked here, where its column is known (the layers' own checks would point at the layer).
        double Num(string key, double def, Func<double, bool> valid, string range)
        {
            if (!a.TryGetValue(key, out var v)) return def;
            double x = ParseNumber(v.Value, v.Column, key);
            if (!valid(x)) throw OutOfRange(name, key, v.Value, x, v.Column, range);
            return x;
        }
        double Real(string key, double def) => Num(key, def, double.IsFinite, "a finite number");
        double Std(string key, double def, string what) => Num(key, def, x => double.IsFinite(x) && x >= 0, $"a finite number ≥ 0 ({what})");
        int Int(string key, int def, int min, int max)
        {
            if (!a.TryGetValue(key, out var v)) return def;
            string range = max == int.MaxValue ? $"≥ {min}" : min == max - 1 ? $"{min} or {max}" : $"in {min}..{max}";
            if (!int.TryParse(v.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
                throw Error(v.Column, $"{name}: '{key}' must be a whole number {range}, got '{v.Value}'.");
            return n;
        }
        switch (name)
        {
            case "dense":
            {
                var param = Parameterization.Ntk;
                if (a.TryGetValue("param", out var p))
                    param = p.Value switch
                    {
                        "ntk" => Parameterization.Ntk,
                        "standard" => Parameterization.Standard,
                        _ => throw Error(p.Column, $"param must be ntk or standard, got '{p.Value}'."),
                    };
                int? width = a.ContainsKey("width") ? Int("width", 0, 1, int.MaxValue) : null;
                return new Dense(Std("w", 1, "σw"), Std("b", 0, "σb"), param, width);
            }
            case "identity": return new Identity();
            case "relu": return ABRelu.Relu();
            case "abs": return ABRelu.Abs();
            case "leaky_relu": return ABRelu.LeakyRelu(Real("alpha", 0.01));
            case "abrelu": return new ABRelu(Real("a", 0), Real("b", 1));
            case "erf": return new Erf(Real("a", 1), Real("b", 1), Real("c", 0));
            case "gelu": return new Gelu();
            case "sin": return new Sin(Real("a", 1), Real("b", 1), Real("c", 0));
            case "cos": return Sin.Cos(Real("a", 1), Real("b", 1), Real("c", 0));
            case "exp": return new Exp(Real("a", 1), Real("b", 1));
            case "gaussian":
                return new Gaussian(Real("a", 1), Num("b", -1, x => double.IsFinite(x) && x < 0, "a finite number < 0, so that a·exp(b·x²) decays (e.g. b=-1)"));
            case "hermite": return new Hermite(Int("n", 1, 0, MaxDegree));
            case "monomial": return new Monomial(Int("n", 1, 0, MaxDegree));
            case "polynomial":
            {
                if (!a.TryGetValue("coef", out var c)) throw Error(_pos, "polynomial needs coefficients c0;c1;…, e.g. polynomial(coef=0;1;0.5).");
                var parts = c.Value.Split(';');
                if (parts.Length > MaxDegree + 1)
                    throw Error(c.Column, $"polynomial: 'coef' has {parts.Length} coefficients (degree {parts.Length - 1}); at most {MaxDegree + 1} (degree {MaxDegree}) are supported.");
                var coefs = new double[parts.Length];
                int col = c.Column;
                for (int i = 0; i < parts.Length; i++)
                {
                    coefs[i] = ParseNumber(parts[i], col, "coef");
                    if (!double.IsFinite(coefs[i])) throw OutOfRange(name, $"coef (coefficient {i + 1})", parts[i], coefs[i], col, "a finite number");
                    col += parts[i].Length + 1;
                }
                return new Polynomial(coefs);
            }
            case "sign": return new Sign();
            case "rbf": return new Rbf(Num("gamma", 1, x => double.IsFinite(x) && x > 0, "a finite number > 0 (the inverse squared length-scale over 2, e.g. gamma=1)"));
            case "gabor": return new Gabor();
            case "rectified_monomial": return new RectifiedMonomial(Int("n", 1, 0, MaxDegree));
            case "sigmoid_like": return new SigmoidLike();
            case "tanh": return QuadratureActivation.Tanh();
            case "sigmoid": return QuadratureActivation.Sigmoid();
            case "softplus": return QuadratureActivation.Softplus();
            case "silu" or "swish": return QuadratureActivation.Silu();
            case "elu": return QuadratureActivation.Elu(Real("alpha", 1));
            case "selu": return QuadratureActivation.Selu();
            case "mish": return QuadratureActivation.Mish();
            case "conv" or "avg_pool" or "sum_pool":
            {
                var pad = name == "conv" ? Padding.Same : Padding.Valid;
                if (a.TryGetValue("padding", out var pv))
                    pad = pv.Value switch { "same" => Padding.Same, "valid" => Padding.Valid, "circular" => Padding.Circular,
                        _ => throw Error(pv.Column, $"padding must be same, valid or circular, got '{pv.Value}'.") };
                if (name == "avg_pool")
                    return new AvgPool(Int("size", 2, 1, int.MaxValue), a.ContainsKey("stride") ? Int("stride", 1, 1, int.MaxValue) : null, pad, Int("dims", 2, 1, 2));
                if (name == "sum_pool")
                    return new SumPool(Int("size", 2, 1, int.MaxValue), a.ContainsKey("stride") ? Int("stride", 1, 1, int.MaxValue) : null, pad, Int("dims", 2, 1, 2));
                return new Conv(Int("size", 3, 1, int.MaxValue), Std("w", 1, "σw"), Std("b", 0, "σb"), Int("stride", 1, 1, int.MaxValue), pad,
                    Int("dims", 2, 1, 2), a.ContainsKey("channels") ? Int("channels", 1, 1, int.MaxValue) : null);
            }
            case "flatten": return new Flatten();
            case "global_avg_pool": return new GlobalAvgPool();
            case "global_sum_pool": return new GlobalSumPool();
            case "layer_norm": return new LayerNorm();
            case "dropout":
                if (!a.ContainsKey("rate")) throw Error(_pos, "dropout needs its drop probability, e.g. dropout(rate=0.1).");
                return new Dropout(Num("rate", 0, x => x >= 0 && x < 1, "a number in [0, 1) (the probability that a unit is dropped)"));
            default: throw UnknownLayer(_pos, name);
        }
    }

    /// <summary>Highest degree of hermite, monomial, rectified_monomial and polynomial (their Gaussian moments stay exact in float64 up to here).</summary>
    private const int MaxDegree = 30;

    private FormatException OutOfRange(string layer, string key, string text, double value, int column, string range)
    {
        string shown = text.Trim();
        bool plain = double.TryParse(shown, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p.Equals(value);
        string evaluated = plain
            ? (double.IsInfinity(value) && !shown.Contains("inf", StringComparison.OrdinalIgnoreCase) ? " (beyond the largest double, about 1.8e308)" : "")
            : $" (= {value.ToString("R", CultureInfo.InvariantCulture)})";
        return Error(column, $"{layer}: '{key}' must be {range}, got {shown}{evaluated}.");
    }

    /// <summary>
    /// A number, or sqrt(…) of one (nestable; unwrapped in a loop, so no depth limit is needed). Returns
    /// the value even when it is not finite (1e400, sqrt(-1)): the caller checks the parameter's range.
    /// </summary>
    private double ParseNumber(string text, int column, string key)
    {
        int start = 0, end = text.Length, roots = 0;
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        while (end - start > 6 && string.CompareOrdinal(text, start, "sqrt(", 0, 5) == 0 && text[end - 1] == ')')
        {
            start += 5; end--;
            roots++;
        }
        if (!double.TryParse(text.AsSpan(start, end - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw Error(column + start, $"'{key}' must be a number (e.g. 1.5, 1e-3 or sqrt(2)), got '{text.Trim()}'.");
        for (int k = 0; k < roots; k++) v = Math.Sqrt(v);
        return v;
    }

    private string Word()
    {
        int start = _pos;
        while (!AtEnd && (char.IsLetterOrDigit(Peek) || Peek is '_' or '.' or '-' or '+')) _pos++;
        return _s[start.._pos];
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (Peek != c) throw Error(_pos, AtEnd ? $"Expected '{c}' but the spec ended." : $"Expected '{c}', got '{Peek}'.");
        _pos++;
    }

    private FormatException UnknownLayer(int column, string name) =>
        Error(column, $"Unknown layer '{name}'.{Suggest(name, KnownLayers)} Known layers: {string.Join(", ", KnownLayers)}.");

    private static string Suggest(string word, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (c, d: Distance(word, c))).OrderBy(t => t.d).FirstOrDefault();
        return best.c is not null && best.d <= Math.Max(2, word.Length / 2) ? $" Did you mean '{best.c}'?" : "";
    }

    /// <summary>Levenshtein distance (<see cref="Diagnostics.Spelling.Distance"/>).</summary>
    internal static int Distance(string a, string b) => Diagnostics.Spelling.Distance(a, b);

    /// <summary>
    /// A syntax error at a 0-based position, reported 1-based with the spec and a caret line. Specs longer
    /// than <see cref="EchoWidth"/> are echoed as a window around the position, cut with '…'.
    /// </summary>
    private FormatException Error(int position, string message)
    {
        position = Math.Clamp(position, 0, _s.Length);
        int from = 0, to = _s.Length;
        if (_s.Length > EchoWidth)
        {
            from = Math.Max(0, position - EchoWidth / 2);
            to = Math.Min(_s.Length, from + EchoWidth);
            from = Math.Max(0, to - EchoWidth);
        }
        string head = from > 0 ? "…" : "", tail = to < _s.Length ? "…" : "";
        return new FormatException($"Architecture spec, column {position + 1}: {message}\n  {head}{_s[from..to]}{tail}\n  {new string(' ', head.Length + position - from)}^");
    }

    /// <summary>The most characters of the spec echoed under an error.</summary>
    private const int EchoWidth = 100;
}
