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

    /// <summary>Every name of the spec language, for messages and suggestions (<see cref="SpecRegistry.Names"/>).</summary>
    public static IReadOnlyList<string> KnownLayers => SpecRegistry.Names;

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
        if (!SpecRegistry.TryGet(name, out var entry)) throw UnknownLayer(start, name);
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
        if (Peek == '(') args = Arguments(entry);
        try { return entry.Factory!(Values(entry, args)); }
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

    private Dictionary<string, (string, int)> Arguments(SpecEntry entry)
    {
        string layer = entry.Name;
        Expect('(');
        var args = new Dictionary<string, (string, int)>();
        SkipSpace();
        if (Peek == ')') { _pos++; return args; }
        while (true)
        {
            SkipSpace();
            int at = _pos;
            string key = Word();
            var allowed = entry.Parameters.Select(q => q.Name).ToArray();
            if (key.Length == 0) throw Error(at, $"Expected a parameter name ({Allowed(entry)}).");
            if (!allowed.Contains(key))
                throw Error(at, $"{layer} has no parameter '{key}'. {Allowed(entry)}{Suggest(key, allowed)}");
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

    private static string Allowed(SpecEntry entry) => entry.Parameters.Count == 0
        ? $"{entry.Name} takes no parameters."
        : $"{entry.Name} takes: {string.Join(", ", entry.Parameters.Select(q => q.Name))}.";

    /// <summary>
    /// Checks every given value against its registry entry, where its column is known (the layers' own
    /// checks would point at the layer), and fills in the defaults. Parameters are checked in the
    /// registry's order; a required one that is absent is reported after the arguments.
    /// </summary>
    private SpecValues Values(SpecEntry entry, Dictionary<string, (string Value, int Column)> a)
    {
        string name = entry.Name;
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var q in entry.Parameters)
        {
            string key = q.Name;
            if (!a.TryGetValue(key, out var v))
            {
                if (q.Missing is not null) throw Error(_pos, q.Missing);
                values[key] = q.Kind switch
                {
                    SpecParameterKind.Real => q.RealDefault,
                    SpecParameterKind.Int => q.IntDefault,
                    SpecParameterKind.Enum => q.Default,
                    _ => throw new InvalidOperationException($"{name}: parameter '{key}' has no default."),
                };
                continue;
            }
            switch (q.Kind)
            {
                case SpecParameterKind.Real:
                {
                    double x = ParseNumber(v.Value, v.Column, key);
                    if (!q.Valid(x)) throw OutOfRange(name, key, v.Value, x, v.Column, q.Range);
                    values[key] = x;
                    break;
                }
                case SpecParameterKind.Int:
                    if (!int.TryParse(v.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) || n < q.Min || n > q.Max)
                        throw Error(v.Column, $"{name}: '{key}' must be a whole number {q.Range}, got '{v.Value}'.");
                    values[key] = n;
                    break;
                case SpecParameterKind.Enum:
                    if (!q.Values.Contains(v.Value)) throw Error(v.Column, $"{key} must be {q.Range}, got '{v.Value}'.");
                    values[key] = v.Value;
                    break;
                case SpecParameterKind.List:
                {
                    var parts = v.Value.Split(';');
                    if (parts.Length > q.MaxCount)
                        throw Error(v.Column, $"{name}: '{key}' has {parts.Length} coefficients (degree {parts.Length - 1}); at most {q.MaxCount} (degree {q.MaxCount - 1}) are supported.");
                    var list = new double[parts.Length];
                    int col = v.Column;
                    for (int i = 0; i < parts.Length; i++)
                    {
                        list[i] = ParseNumber(parts[i], col, key);
                        if (!double.IsFinite(list[i])) throw OutOfRange(name, $"{key} (coefficient {i + 1})", parts[i], list[i], col, "a finite number");
                        col += parts[i].Length + 1;
                    }
                    values[key] = list;
                    break;
                }
            }
        }
        return new SpecValues(values);
    }

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

    private static string Suggest(string word, IEnumerable<string> candidates) => SpecRegistry.Suggest(word, candidates);

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
