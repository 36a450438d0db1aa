using System.Globalization;
using Tangent.Diagnostics;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>One axis of a <see cref="HyperGrid"/>: its name and its values as written.</summary>
/// <param name="Name">The axis (lower case): kernel, arch, depth, fix, get, w, b, gamma, model, ridge, relridge, c or time.</param>
/// <param name="Values">The values, in the order written.</param>
public sealed record HyperAxis(string Name, IReadOnlyList<string> Values);

/// <summary>One point of an expanded grid.</summary>
/// <param name="Spec">The model with this point's hyperparameters.</param>
/// <param name="Label">The values of the grid's axes at this point, e.g. "gamma=0.1 ridge=0.01".</param>
/// <param name="KernelGroup">Points with the same group share one kernel matrix (they differ only in ridge and time);
/// groups that differ only in <c>get</c> share one kernel computation (<see cref="ModelSelection"/>).</param>
/// <param name="Index">The point's position in the grid (0-based, the order of <see cref="HyperGrid.Expand"/>).</param>
public sealed record HyperSetting(ModelSpec Spec, string Label, int KernelGroup, int Index);

/// <summary>
/// A grid of hyperparameters (docs/SELECTION.md): axes separated by <c>;</c>, each <c>name=v1,v2,…</c>;
/// architecture alternatives are separated by <c>|</c> because they contain commas. Axes:
/// <c>kernel</c> (gaussian|rbf, laplace, linear, polynomial|poly), <c>arch</c> (architecture specs),
/// <c>depth</c> (the count of the architecture's first repeat), <c>fix</c> (how many bottom parametrised layers are
/// frozen, <see cref="Architecture.FreezeBottom"/>), <c>get</c> (nngp, ntk), <c>w</c> and <c>b</c> (σw, σb of every dense and conv layer), <c>gamma</c>
/// (γ of a classical kernel; <c>auto</c> = 1/(d·var X), scikit-learn's gamma='scale'), <c>model</c> (krr, svm: kernel
/// regression or a support-vector classifier), <c>ridge</c> (absolute λ), <c>relridge</c> (λ as a factor of mean(diag K)),
/// <c>time</c> (training time, <c>inf</c> = ∞) — these three for kernel regression — and <c>c</c> (the SVM's C).
/// </summary>
public sealed class HyperGrid
{
    /// <summary>The axis names, in the order <see cref="Expand"/> nests them (the first outermost).</summary>
    public static IReadOnlyList<string> AxisNames { get; } = ["kernel", "arch", "depth", "fix", "get", "w", "b", "gamma", "model", "ridge", "relridge", "c", "time"];

    private HyperGrid(IReadOnlyList<HyperAxis> axes) => Axes = axes;

    /// <summary>The axes as written (in the order of <see cref="AxisNames"/>).</summary>
    public IReadOnlyList<HyperAxis> Axes { get; }

    /// <summary>The product of the axes' lengths: the number of points, or more when <see cref="Expand"/> leaves some
    /// out (NNGP points at fix &gt; 0, fixes that freeze every layer).</summary>
    public int Count => Axes.Aggregate(1, (p, a) => p * a.Values.Count);

    /// <summary>The values of an axis, or null when the grid does not vary it.</summary>
    public IReadOnlyList<string>? this[string name] => Axes.FirstOrDefault(a => a.Name == name)?.Values;

    /// <summary>Reads a grid such as <c>ridge=1e-4,1e-2,1; gamma=0.1,1</c> or <c>arch=dense relu dense | dense erf dense; get=nngp,ntk</c>.</summary>
    /// <exception cref="FormatException">An unknown axis (with the nearest name), an axis given twice, a part without '=',
    /// an empty value, a number that does not parse or is out of range, an unknown kernel or get, or an architecture that does not parse.</exception>
    public static HyperGrid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var axes = new Dictionary<string, HyperAxis>(StringComparer.Ordinal);
        foreach (var raw in text.Split(';'))
        {
            var part = raw.Trim();
            if (part.Length == 0) continue;
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0) throw new FormatException($"Grid part '{part}' has no '='; write name=value,value (e.g. ridge=1e-4,1e-2).");
            string name = part[..eq].Trim().ToLowerInvariant();
            if (!AxisNames.Contains(name))
            {
                var near = AxisNames.OrderBy(a => Spelling.Distance(a, name)).First();
                string hint = Spelling.Distance(near, name) <= 2 ? $"did you mean '{near}'? " : "";
                throw new FormatException($"Unknown grid axis '{name}': {hint}the axes are {string.Join(", ", AxisNames)}.");
            }
            if (axes.ContainsKey(name)) throw new FormatException($"Grid axis '{name}' is given twice; list all its values once, separated by {(name == "arch" ? "'|'" : "commas")}.");
            var values = part[(eq + 1)..].Split(name == "arch" ? '|' : ',').Select(v => v.Trim()).ToArray();
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i].Length == 0)
                    throw new FormatException($"Grid axis '{name}': value {i + 1} is empty; separate values by {(name == "arch" ? "'|'" : "commas")} with a value between each (e.g. {Example(name)}).");
                CheckValue(name, values[i]);
            }
            axes[name] = new HyperAxis(name, values);
        }
        if (axes.Count == 0) throw new FormatException("The grid is empty; give at least one axis, e.g. ridge=1e-4,1e-2,1.");
        if (axes.ContainsKey("ridge") && axes.ContainsKey("relridge"))
            throw new FormatException("The grid has both 'ridge' (absolute λ) and 'relridge' (λ relative to mean(diag K)); keep one.");
        if (axes.ContainsKey("kernel") && axes.ContainsKey("arch"))
            throw new FormatException("The grid has both 'kernel' and 'arch'; a model has one kernel source, so select over one of them.");
        return new HyperGrid(AxisNames.Where(axes.ContainsKey).Select(n => axes[n]).ToArray());
    }

    /// <summary>The grid's text, readable by <see cref="Parse"/>.</summary>
    public override string ToString() => string.Join("; ", Axes.Select(a => a.Name + "=" + string.Join(a.Name == "arch" ? " | " : ",", a.Values)));

    /// <summary>
    /// Every point of the grid applied to <paramref name="baseSpec"/>, the first axis of <see cref="AxisNames"/>
    /// outermost, so that points sharing a kernel matrix are adjacent (<see cref="HyperSetting.KernelGroup"/>).
    /// </summary>
    /// <param name="baseSpec">The model whose other fields every point keeps.</param>
    /// <param name="features">The (preprocessed) training features: needed for gamma=auto and for the default γ of a
    /// <c>kernel</c> axis when the base has no classical kernel (1/(d·var X)); without them that default is 1.</param>
    /// <param name="notes">Receives one line per combination left out (a <c>fix</c> that would freeze every
    /// parametrised layer of an architecture at some depth); null to ignore them.</param>
    /// <exception cref="ArgumentException">An axis that does not fit the model (gamma, or a kernel axis, with an architecture; arch-only
    /// axes with a classical kernel; time with a classical kernel; depth with an architecture without repeat), gamma=auto without
    /// features, or a <c>fix</c> axis that leaves no trainable layer at any point.</exception>
    public IReadOnlyList<HyperSetting> Expand(ModelSpec baseSpec, Matrix? features = null, ICollection<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(baseSpec);
        bool classical = this["kernel"] is not null || (this["arch"] is null && baseSpec.Kernel is not null);
        foreach (var axis in new[] { "depth", "fix", "get", "w", "b", "time" })
            if (classical && this[axis] is not null)
                throw new ArgumentException($"Grid axis '{axis}' needs an architecture but the model uses a classical kernel; remove '{axis}' from the grid or select over arch=….");
        if (!classical && this["gamma"] is not null)
            throw new ArgumentException("Grid axis 'gamma' sets a classical kernel's γ but the model is an architecture; remove gamma, or vary w and b (σw, σb) instead.");
        double? auto = features is null ? null : AutoGamma(features);
        var models = this["model"]?.Select(ModelOf).Distinct().ToArray() ?? [baseSpec.Model];
        if (this["c"] is not null && !models.Contains(ClassifierKind.Svm))
            throw new ArgumentException("Grid axis 'c' sets the SVM's C but no point is an SVM; add model=svm (or model=krr,svm), or remove c.");
        foreach (var axis in new[] { "ridge", "relridge", "time" })
            if (this[axis] is not null && !models.Contains(ClassifierKind.KernelRegression))
                throw new ArgumentException($"Grid axis '{axis}' applies to kernel regression but every point is an SVM; add model=krr,svm, or remove '{axis}' (the SVM's regularisation is c).");

        var sources = new List<(ModelSpec Spec, string Label)>();
        if (this["kernel"] is { } kernels)
        {
            foreach (var k in kernels)
            {
                var kind = KindOf(k);
                double gamma = baseSpec.Kernel?.Gamma ?? auto ?? 1.0;
                var kernel = new ClassicalKernel(kind, gamma, baseSpec.Kernel?.Coef0 ?? 1.0, baseSpec.Kernel?.Degree ?? 3);
                sources.Add((baseSpec with { Kernel = kernel, Architecture = null, Time = double.PositiveInfinity }, "kernel=" + k));
            }
        }
        else if (this["arch"] is { } archs)
        {
            // The input shape belongs to the data, not to an architecture: the base model's (images) carries over to each.
            var shape = baseSpec.Architecture?.InputShape;
            for (int i = 0; i < archs.Count; i++)
            {
                var arch = Architecture.Parse(archs[i]);
                sources.Add((baseSpec with { Architecture = shape is { } s ? arch.WithInputShape(s) : arch, Kernel = null }, archs.Count > 1 ? $"arch={i + 1}" : ""));
            }
        }
        else sources.Add((baseSpec, ""));

        if (this["gamma"] is not null && sources.All(s => s.Spec.Kernel!.Kind == KernelKind.Linear))
            throw new ArgumentException("Grid axis 'gamma' has no effect on the linear kernel; remove gamma or choose kernel=gaussian,laplace,polynomial.");
        if (this["depth"] is not null && sources.FirstOrDefault(s => s.Spec.Architecture!.FirstRepeatCount is null) is { Spec.Architecture: { } flat })
            throw new ArgumentException($"Grid axis 'depth' sets the count of the architecture's first repeat(n){{…}}, but '{flat}' has none; " +
                                        "write the repeated block as a repeat, e.g. arch=dense(w=1.41) repeat(1){relu dense(w=1.41)}; depth=1,2,3.");

        var points = new List<HyperSetting>();
        var skipped = new List<string>();
        int group = 0;
        foreach (var (source, sourceLabel) in sources)
            foreach (var (depthSpec, depthLabel) in Vary(source, "depth", (s, v) => s with { Architecture = s.Architecture!.WithFirstRepeatCount((int)Number(v)) }))
                foreach (var (fixSpec, fixLabel, fix) in Fixes(depthSpec))
                {
                    if (fix > 0 && fix >= fixSpec.Architecture!.ParametrisedLayerCount)
                    {
                        string where = string.Join(" ", new[] { sourceLabel, depthLabel }.Where(l => l.Length > 0));
                        skipped.Add($"{(where.Length > 0 ? where + " " : "")}fix={fix.ToString(CultureInfo.InvariantCulture)} skipped: it would freeze all " +
                                    $"{fixSpec.Architecture.ParametrisedLayerCount} parametrised layers of '{fixSpec.Architecture}', leaving nothing to train (the NTK would be 0).");
                        continue;
                    }
                    var frozenSpec = fix == 0 ? fixSpec : fixSpec with { Architecture = fixSpec.Architecture!.FreezeBottom(fix) };
                    foreach (var (getSpec, getLabel) in Vary(frozenSpec, "get", (s, v) => s with { Get = GetOf(v) }))
                    {
                        // The NNGP does not depend on which layers are trained: one NNGP point per depth, at fix=0 (listed or not);
                        // the NTK only at the listed fix values.
                        if (getSpec.Get == KernelOutputs.Nngp ? fix > 0 : !FixListed(fix)) continue;
                        string prefix = string.Join(" ", new[] { sourceLabel, depthLabel, fixLabel }.Where(l => l.Length > 0));
                        group = AddPoints(points, getSpec, prefix, getLabel, auto, group);
                    }
                }
        if (skipped.Count > 0 && points.Count == 0)
            throw new ArgumentException($"Grid axis 'fix' leaves no trainable layer at any point: {skipped[0]} Use fix values below the number of parametrised layers.");
        if (notes is not null) foreach (var n in skipped) notes.Add(n);
        return points;
    }

    /// <summary>The fix values to visit for <paramref name="spec"/> (0 alone, unlabelled, without a fix axis). The NNGP is the same
    /// whatever is frozen, so when some point is an NNGP one fix=0 is visited even if not listed (for the NNGP points only), and when
    /// every point is an NNGP one only fix=0 is.</summary>
    private IEnumerable<(ModelSpec Spec, string Label, int Fix)> Fixes(ModelSpec spec)
    {
        if (this["fix"] is not { } values) { yield return (spec, "", 0); yield break; }
        var gets = this["get"]?.Select(GetOf).ToArray() ?? [spec.Get];
        var fixes = values.Select(v => (int)Number(v)).ToList();
        if (gets.All(g => g == KernelOutputs.Nngp)) fixes = [0];
        else if (gets.Contains(KernelOutputs.Nngp) && !fixes.Contains(0)) fixes.Insert(0, 0);
        foreach (int f in fixes) yield return (spec, "fix=" + f.ToString(CultureInfo.InvariantCulture), f);
    }

    /// <summary>True when the grid has no fix axis (fix = 0 implied) or lists <paramref name="fix"/>.</summary>
    private bool FixListed(int fix) => this["fix"] is not { } values ? fix == 0 : values.Any(v => Number(v) == fix);

    private static KernelOutputs GetOf(string value) => value.Equals("nngp", StringComparison.OrdinalIgnoreCase) ? KernelOutputs.Nngp : KernelOutputs.Ntk;

    /// <summary>The points of one get setting: every w, b and gamma (a kernel group each), then per model its own axes —
    /// ridge and time for kernel regression, c for the SVM; returns the next kernel group.</summary>
    private int AddPoints(List<HyperSetting> points, ModelSpec getSpec, string prefix, string getLabel, double? auto, int group)
    {
        foreach (var (wSpec, wLabel) in Vary(getSpec, "w", (s, v) => s with { Architecture = ArchitectureScaling.WithStds(s.Architecture!, Number(v), null) }))
            foreach (var (bSpec, bLabel) in Vary(wSpec, "b", (s, v) => s with { Architecture = ArchitectureScaling.WithStds(s.Architecture!, null, Number(v)) }))
                foreach (var (gSpec, gLabel) in Vary(bSpec, "gamma", (s, v) => s.Kernel!.Kind == KernelKind.Linear ? s : s with { Kernel = WithGamma(s.Kernel!, v, auto) }))
                {
                    void Add(ModelSpec spec, params string[] labels)
                    {
                        spec.Validate();
                        string label = string.Join(" ", new[] { prefix, getLabel, wLabel, bLabel, gLabel }.Concat(labels).Where(l => l.Length > 0));
                        points.Add(new HyperSetting(spec, label.Length == 0 ? "base" : label, group, points.Count));
                    }
                    foreach (var (mSpec, mLabel) in Vary(gSpec, "model", (s, v) => s with { Model = ModelOf(v) }))
                    {
                        if (mSpec.Model == ClassifierKind.Svm)
                        {
                            // The SVM has no ridge and no time: its own axis is c.
                            foreach (var (cSpec, cLabel) in Vary(mSpec with { Ridge = Ridge.None, Time = double.PositiveInfinity }, "c", (s, v) => s with { C = Number(v) }))
                                Add(cSpec, mLabel, cLabel);
                            continue;
                        }
                        foreach (var (rSpec, rLabel) in Vary(mSpec, this["ridge"] is null ? "relridge" : "ridge",
                                     (s, v) => s with { Ridge = this["ridge"] is null ? Ridge.Relative(Number(v)) : Ridge.Absolute(Number(v)) }))
                            foreach (var (tSpec, tLabel) in Vary(rSpec, "time", (s, v) => s with { Time = Number(v) }))
                                Add(tSpec, mLabel, rLabel, tLabel);
                    }
                    group++;
                }
        return group;
    }

    private static ClassifierKind ModelOf(string value) => value.ToLowerInvariant() switch
    {
        "krr" => ClassifierKind.KernelRegression,
        "svm" => ClassifierKind.Svm,
        _ => throw new FormatException($"Grid axis 'model': unknown model '{value}'; use krr (kernel regression) or svm."),
    };

    /// <summary>γ = 1/(d·var X) over all entries of X (scikit-learn's gamma='scale'); 1 when X is constant.</summary>
    public static double AutoGamma(Matrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        int n = features.Data.Length;
        if (n == 0) return 1;
        double mean = features.Data.Average(), ss = 0;
        foreach (double v in features.Data) ss += (v - mean) * (v - mean);
        double variance = ss / n;
        return variance > 0 ? 1.0 / (features.Cols * variance) : 1.0;
    }

    private IEnumerable<(ModelSpec Spec, string Label)> Vary(ModelSpec spec, string axis, Func<ModelSpec, string, ModelSpec> apply)
    {
        if (this[axis] is not { } values) { yield return (spec, ""); yield break; }
        foreach (var v in values) yield return (apply(spec, v), $"{axis}={v}");
    }

    private static ClassicalKernel WithGamma(ClassicalKernel k, string value, double? auto)
    {
        double gamma = value.Equals("auto", StringComparison.OrdinalIgnoreCase)
            ? auto ?? throw new ArgumentException("gamma=auto needs the training features (1/(d·var X)); pass them to Expand, or give γ as numbers.")
            : Number(value);
        return new ClassicalKernel(k.Kind, gamma, k.Coef0, k.Degree) { BlockRows = k.BlockRows };
    }

    private static KernelKind KindOf(string name) => name.ToLowerInvariant() switch
    {
        "gaussian" or "rbf" => KernelKind.Gaussian,
        "laplace" or "laplacian" => KernelKind.Laplace,
        "linear" => KernelKind.Linear,
        "polynomial" or "poly" => KernelKind.Polynomial,
        _ => throw new FormatException($"Grid axis 'kernel': unknown kernel '{name}'; use gaussian, laplace, linear or polynomial."),
    };

    private static readonly string[] KernelNames = ["gaussian", "rbf", "laplace", "laplacian", "linear", "polynomial", "poly"];

    private static void CheckValue(string axis, string value)
    {
        switch (axis)
        {
            case "kernel":
                if (!KernelNames.Contains(value.ToLowerInvariant()))
                {
                    var near = KernelNames.OrderBy(k => Spelling.Distance(k, value.ToLowerInvariant())).First();
                    throw new FormatException($"Grid axis 'kernel': unknown kernel '{value}'; did you mean '{near}'? The kernels are gaussian, laplace, linear, polynomial.");
                }
                break;
            case "get":
                if (value.ToLowerInvariant() is not ("nngp" or "ntk"))
                    throw new FormatException($"Grid axis 'get': '{value}' is neither nngp nor ntk; write get=nngp,ntk.");
                break;
            case "arch":
                try { Architecture.Parse(value); }
                catch (Exception e) when (e is ArgumentException or FormatException)
                {
                    throw new FormatException($"Grid axis 'arch': alternative '{value}' does not parse: {e.Message.Split('\n', 2)[0].Trim()}", e);
                }
                break;
            case "gamma" when value.Equals("auto", StringComparison.OrdinalIgnoreCase):
                break;
            case "model":
                if (value.ToLowerInvariant() is not ("krr" or "svm"))
                    throw new FormatException($"Grid axis 'model': unknown model '{value}'; use krr (kernel regression) or svm, e.g. {Example(axis)}.");
                break;
            case "depth" or "fix":
            {
                int min = axis == "depth" ? 1 : 0;
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < min || n > SpecParser.MaxLayers)
                    throw new FormatException($"Grid axis '{axis}': '{value}' is not a whole number in {min}..{SpecParser.MaxLayers}; write e.g. {Example(axis)}.");
                break;
            }
            default:
                double v = TryNumber(value) ?? throw new FormatException($"Grid axis '{axis}': '{value}' is not a number; write e.g. {Example(axis)}.");
                bool ok = axis switch
                {
                    "gamma" or "c" => v > 0 && double.IsFinite(v),
                    "time" => v >= 0,
                    _ => v >= 0 && double.IsFinite(v),
                };
                if (!ok)
                    throw new FormatException($"Grid axis '{axis}': {value} is out of range; {axis} must be {(axis == "gamma" ? "> 0 and finite (or auto)" : axis == "c" ? "> 0 and finite" : axis == "time" ? "≥ 0 or inf" : "≥ 0 and finite")}.");
                break;
        }
    }

    private static string Example(string axis) => axis switch
    {
        "kernel" => "kernel=gaussian,laplace",
        "arch" => "arch=dense relu dense | dense erf dense",
        "get" => "get=nngp,ntk",
        "depth" => "depth=1,2,3",
        "fix" => "fix=0,1,2",
        "model" => "model=krr,svm",
        "c" => "c=0.1,1,10",
        "w" => "w=1,1.41,2",
        "b" => "b=0,0.1",
        "gamma" => "gamma=0.1,1,auto",
        "time" => "time=10,inf",
        "relridge" => "relridge=1e-4,1e-2",
        _ => "ridge=1e-4,1e-2,1",
    };

    private static double? TryNumber(string s)
    {
        var t = s.Trim().ToLowerInvariant();
        if (t is "inf" or "+inf" or "infinity" or "∞") return double.PositiveInfinity;
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !double.IsNaN(v) ? v : null;
    }

    private static double Number(string s) => TryNumber(s) ?? throw new FormatException($"'{s}' is not a number.");
}
