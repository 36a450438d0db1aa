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
/// </summary>
internal sealed class SpecParser
{
    /// <summary>Every layer name, for messages and suggestions.</summary>
    public static readonly string[] KnownLayers =
    [
        "dense", "identity", "relu", "leaky_relu", "abrelu", "abs", "erf", "gelu", "sin", "cos", "exp",
        "gaussian", "hermite", "monomial", "polynomial", "sign", "repeat", "parallel", "concat",
        "conv", "avg_pool", "flatten", "global_avg_pool",
    ];

    private static readonly Dictionary<string, string[]> Parameters = new()
    {
        ["dense"] = ["w", "b", "param", "width"],
        ["identity"] = [], ["relu"] = [], ["abs"] = [], ["gelu"] = [], ["sign"] = [],
        ["leaky_relu"] = ["alpha"], ["abrelu"] = ["a", "b"],
        ["erf"] = ["a", "b", "c"], ["sin"] = ["a", "b", "c"], ["cos"] = ["a", "b", "c"],
        ["exp"] = ["a", "b"], ["gaussian"] = ["a", "b"],
        ["hermite"] = ["n"], ["monomial"] = ["n"], ["polynomial"] = ["coef"],
        ["conv"] = ["size", "w", "b", "stride", "padding", "dims", "channels"], ["avg_pool"] = ["size", "stride", "padding", "dims"],
        ["flatten"] = [], ["global_avg_pool"] = [],
    };

    private readonly string _s;
    private int _pos;

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
        return layer;
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
            _pos++;
            var inner = Sequence();
            Expect('}');
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
                if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                    throw Error(at, $"repeat needs a whole count ≥ 1, e.g. repeat(3){{dense relu}}; got '{count}'.");
                Expect(')');
                var body = Body();
                try { return new Repeat(n, body); }
                catch (ArgumentException e) { throw Error(start, e.Message); }
            }
            case "parallel":
            case "concat":
            {
                SkipSpace();
                Expect('{');
                var branches = new List<Layer> { Sequence() };
                while (Peek == '|') { _pos++; branches.Add(Sequence()); }
                Expect('}');
                try { return new ParallelBranches(name == "parallel" ? FanIn.Sum : FanIn.Concat, branches); }
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
        Expect('{');
        var s = Sequence();
        Expect('}');
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
        double Num(string key, double def)
        {
            if (!a.TryGetValue(key, out var v)) return def;
            return ParseNumber(v.Value, v.Column, key);
        }
        int Int(string key, int def)
        {
            if (!a.TryGetValue(key, out var v)) return def;
            if (!int.TryParse(v.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
                throw Error(v.Column, $"'{key}' must be a whole number, got '{v.Value}'.");
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
                int? width = a.ContainsKey("width") ? Int("width", 0) : null;
                return new Dense(Num("w", 1), Num("b", 0), param, width);
            }
            case "identity": return new Identity();
            case "relu": return ABRelu.Relu();
            case "abs": return ABRelu.Abs();
            case "leaky_relu": return ABRelu.LeakyRelu(Num("alpha", 0.01));
            case "abrelu": return new ABRelu(Num("a", 0), Num("b", 1));
            case "erf": return new Erf(Num("a", 1), Num("b", 1), Num("c", 0));
            case "gelu": return new Gelu();
            case "sin": return new Sin(Num("a", 1), Num("b", 1), Num("c", 0));
            case "cos": return Sin.Cos(Num("a", 1), Num("b", 1), Num("c", 0));
            case "exp": return new Exp(Num("a", 1), Num("b", 1));
            case "gaussian": return new Gaussian(Num("a", 1), Num("b", -1));
            case "hermite": return new Hermite(Int("n", 1));
            case "monomial": return new Monomial(Int("n", 1));
            case "polynomial":
            {
                if (!a.TryGetValue("coef", out var c)) throw Error(_pos, "polynomial needs coefficients c0;c1;…, e.g. polynomial(coef=0;1;0.5).");
                var parts = c.Value.Split(';');
                var coefs = new double[parts.Length];
                int col = c.Column;
                for (int i = 0; i < parts.Length; i++) { coefs[i] = ParseNumber(parts[i], col, "coef"); col += parts[i].Length + 1; }
                return new Polynomial(coefs);
            }
            case "sign": return new Sign();
            case "conv" or "avg_pool":
            {
                var pad = name == "conv" ? Convolution.Padding.Same : Convolution.Padding.Valid;
                if (a.TryGetValue("padding", out var pv))
                    pad = pv.Value switch { "same" => Convolution.Padding.Same, "valid" => Convolution.Padding.Valid, "circular" => Convolution.Padding.Circular,
                        _ => throw Error(pv.Column, $"padding must be same, valid or circular, got '{pv.Value}'.") };
                if (name == "avg_pool") return new Convolution.AvgPool(Int("size", 2), a.ContainsKey("stride") ? Int("stride", 1) : null, pad, Int("dims", 2));
                return new Convolution.Conv(Int("size", 3), Num("w", 1), Num("b", 0), Int("stride", 1), pad, Int("dims", 2), a.ContainsKey("channels") ? Int("channels", 1) : null);
            }
            case "flatten": return new Convolution.Flatten();
            case "global_avg_pool": return new Convolution.GlobalAvgPool();
            default: throw UnknownLayer(_pos, name);
        }
    }

    private double ParseNumber(string text, int column, string key)
    {
        string t = text.Trim();
        if (t.StartsWith("sqrt(", StringComparison.Ordinal) && t.EndsWith(')'))
            return Math.Sqrt(ParseNumber(t[5..^1], column + 5, key));
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)) return v;
        throw Error(column, $"'{key}' must be a number (e.g. 1.5, 1e-3 or sqrt(2)), got '{text}'.");
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

    /// <summary>Levenshtein distance.</summary>
    internal static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>A syntax error at a 0-based position, reported 1-based with the spec and a caret line.</summary>
    private FormatException Error(int position, string message)
    {
        position = Math.Clamp(position, 0, _s.Length);
        return new FormatException($"Architecture spec, column {position + 1}: {message}\n  {_s}\n  {new string(' ', position)}^");
    }
}
