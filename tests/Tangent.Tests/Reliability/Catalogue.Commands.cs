using System.Globalization;
using System.Text;

namespace Tangent.Tests.Reliability;

internal static partial class Catalogue
{
    private static readonly string[] KernelBase = ["kernel", "--x1", "{D}/x.csv", "--out", "{D}/k.npy"];
    private static readonly OutputSpec KernelOut = new("k.npy", 6, 6);
    private static readonly string[] RegressBase = ["regress", "--x-train", "{D}/x.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out", "{D}/p.npy"];
    private static readonly OutputSpec RegressOut = new("p.npy", 4, 1);
    private static readonly string[] PredictCore = ["predict", "--arch", Arch, "--x-train", "{D}/x.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out-mean", "{D}/m.npy"];
    private static readonly string[] PredictBase = [.. PredictCore[..^2], "--learning-rate", "0.01", "--out-mean", "{D}/m.npy"];
    private static readonly OutputSpec PredictOut = new("m.npy", 4, 1);

    /// <summary>How an error line may name a value the user typed (a parsed double may print as NaN, ∞ or Infinity).</summary>
    public static string[] Named(string v) => NamedForms(v.Contains(',', StringComparison.Ordinal) ? v[(v.LastIndexOf(',') + 1)..] : v).Distinct().ToArray();

    private static string[] NamedForms(string v) => v.Trim().ToLowerInvariant() switch
    {
        "" => [],
        "nan" => ["nan"],
        "inf" or "+inf" or "infinity" => ["inf", "∞"],
        "-inf" or "-infinity" => ["-inf", "-∞"],
        "1e309" or "1e400" => [v, "∞", "infinity"],
        _ when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) =>
            [v, x.ToString("R", CultureInfo.InvariantCulture), x.ToString("G6", CultureInfo.InvariantCulture), x.ToString("E", CultureInfo.InvariantCulture)],
        _ => [v],
    };

    /// <summary>The error line must name the option and the value.</summary>
    public static string[][] OptionAndValue(string option, string value) =>
        Named(value) is { Length: > 0 } names ? [[option], names] : [[option]];

    private static CliCase Case(string name, string[] args, Expect expect, string why, OutputSpec[] outputs, string[][]? mention = null,
        bool child = false, int timeout = 60, Dictionary<string, byte[]>? inputs = null, string about = "", Func<string, string?>? stdout = null, int? newFiles = null) => new()
        {
            Name = name,
            Args = args,
            Inputs = inputs ?? BaseInputs(),
            About = about.Length > 0 ? about : "x.csv 6×3, y.csv 6×1, xt.csv 4×3, yt.csv 4×1 (valid, values in [-2, 2])",
            Expect = expect,
            Why = why,
            Outputs = outputs,
            MustMention = mention ?? [],
            OutOfProcess = child,
            TimeoutSeconds = timeout,
            CheckStdout = stdout,
            NewFileCount = newFiles,
        };

    /// <summary>Criticality prints q*, χ∥ and χ⊥: on exit 0 they must be finite numbers.</summary>
    public static string? CriticalityFinite(string stdout)
    {
        foreach (var raw in stdout.Split('\n'))
        {
            string line = raw.Trim();
            if (!(line.StartsWith("q*", StringComparison.Ordinal) || line.StartsWith('χ'))) continue;
            int eq = line.IndexOf('=');
            int gap = line.IndexOf("   ", eq + 1, StringComparison.Ordinal);
            string value = eq < 0 ? line : (gap < 0 ? line[(eq + 1)..] : line[(eq + 1)..gap]).Trim();
            if (value.Contains("NaN", StringComparison.Ordinal) || value.Contains('∞') || value.Contains("Infinity", StringComparison.Ordinal))
                return $"criticality printed a non-finite result: '{line}'";
        }
        return null;
    }

    public static List<CliCase> Specs()
    {
        var list = new List<CliCase>();
        void K(string spec, Expect e, string why, string[]? mention = null, bool child = false, int timeout = 60, string get = "ntk") =>
            list.Add(Case($"spec/{(spec.Length > 50 ? spec[..30] + $"…({spec.Length} chars)" : spec)}{(get == "ntk" ? "" : " --get " + get)}",
                ["kernel", "--arch", spec, "--get", get, "--x1", "{D}/x.csv", "--out", "{D}/k.npy"], e, why, [KernelOut],
                mention is null ? [] : mention.Select(m => new[] { m }).ToArray(), child, timeout));
        const string Bad = "not a valid architecture";
        K("dense(w=sqrt(2)) relu dense", Expect.Succeed, "a valid spec (control)");
        K("rleu", Expect.Refuse, "unknown layer", ["rleu"]);
        K("dense(w=1.5 relu dense", Expect.Refuse, "unbalanced parenthesis");
        K("dense relu}", Expect.Refuse, "unbalanced brace");
        K("{dense relu", Expect.Refuse, "unbalanced brace");
        K("parallel{dense|}", Expect.Refuse, "empty branch");
        K("concat{}", Expect.Refuse, "no branch");
        K("", Expect.Refuse, "empty spec");
        K("   ", Expect.Refuse, "blank spec");
        K("dense | relu", Expect.Refuse, Bad);
        K("dense,relu", Expect.Refuse, Bad);
        K("repeat(0){relu}", Expect.Refuse, "repeat count 0");
        K("repeat(-1){relu}", Expect.Refuse, "negative repeat count");
        K("repeat(abc){relu}", Expect.Refuse, "repeat count not a number");
        K("repeat(99999999999){relu}", Expect.Refuse, "repeat count beyond int");
        K("erf(a=sqrt(-1))", Expect.Refuse, "a = sqrt(-1) is NaN", ["sqrt(-1)", "NaN"]);
        K("dense(w=1e400)", Expect.Refuse, "w = 1e400 is +∞");
        K("dense(w=-1)", Expect.Refuse, "σw < 0");
        K("dense(w=nan)", Expect.Refuse, "σw NaN");
        K("dense(w=inf)", Expect.Refuse, "σw ∞");
        K("dense(b=-1)", Expect.Refuse, "σb < 0");
        K("dense(w=1,w=2)", Expect.Refuse, "w given twice");
        K("dense(x=1)", Expect.Refuse, "unknown parameter", ["x"]);
        K("dense(w=)", Expect.Refuse, "missing value");
        K("dense(width=0)", Expect.Refuse, "width 0");
        K("dense(width=-5)", Expect.Refuse, "negative width");
        K("dense(width=1.5)", Expect.Refuse, "fractional width");
        K("dense(param=weird)", Expect.Refuse, "unknown parameterization");
        K("dense(w=１)", Expect.Refuse, "full-width digit");
        K("hermite(n=31)", Expect.Refuse, "hermite n above 30");
        K("monomial(n=-1)", Expect.Refuse, "negative power");
        K("polynomial(coef=)", Expect.Refuse, "no coefficients");
        K("gaussian(b=1)", Expect.Refuse, "gaussian needs b < 0");
        K("leaky_relu(alpha=nan)", Expect.Refuse, "alpha NaN");
        K("sign", Expect.Refuse, "sign has no NTK (NNGP only) and --get is ntk");
        K("sign", Expect.Either, "sign has an NNGP", get: "nngp");
        K("conv(size=3) relu", Expect.Refuse, "a convolution on flat CSV rows without --image-shape");
        K("global_avg_pool", Expect.Refuse, "pooling on flat rows");
        K("relu relu", Expect.Refuse, "activations of the raw input: not a Gaussian pre-activation", ["dense"]);
        K("relu", Expect.Refuse, "an activation alone, of the raw input", ["dense"]);
        K("relu dense", Expect.Refuse, "activation first: start with a dense layer", ["dense"]);
        K("dense relu relu dense", Expect.Succeed, "relu∘relu = relu, exactly");
        K("dense concat{dense(w=0.5) | dense(w=2)} erf dense", Expect.Succeed, "an activation after concat goes through each group");
        K("dense relu parallel{identity | dense relu dense} relu dense", Expect.Refuse, "an activation after a sum with a non-Gaussian branch", ["dense"]);
        K("dense tanh dense", Expect.Succeed, "tanh by quadrature");
        K("dense tanhh dense", Expect.Refuse, "unknown layer with a suggestion", ["tanh"]);
        K("dense dropout(rate=0.3) dense", Expect.Succeed, "inverted dropout");
        K("dense dropout(rate=1) dense", Expect.Refuse, "dropout of everything", ["rate"]);
        K("dense dropout(rate=-0.1) dense", Expect.Refuse, "negative dropout rate", ["rate"]);
        K("dense dropout(rate=0.3) relu dense", Expect.Refuse, "an activation right after dropout", ["dense"]);
        K("layer_norm dense", Expect.Refuse, "layer_norm of the raw input");
        K("dense layer_norm relu dense", Expect.Succeed, "layer_norm keeps a Gaussian");
        K("dense product{dense | dense} dense", Expect.Succeed, "product fan-in");
        K("dense product{dense | dense} relu dense", Expect.Refuse, "an activation right after a product", ["dense"]);
        K("DENSE relu", Expect.Either, "upper-case name");
        K("dense(param=standard) relu dense(param=standard)", Expect.Either, "standard parameterization without widths");
        K("sin(b=1e308)", Expect.Either, "huge frequency");
        K("exp(b=30)", Expect.Either, "exp(30x): E[φ(u)φ(v)] overflows");
        K("dense(w=1e200) relu dense(w=1e200)", Expect.Either, "σw = 1e200 twice: the kernel overflows");
        // Out of process: a recursive parser can overflow the stack (not catchable), a huge repeat can run for ever.
        K(new string('{', 20_000) + "relu" + new string('}', 20_000), Expect.Either, "20,000 nested groups", child: true, timeout: 30);
        K(string.Concat(Enumerable.Repeat("parallel{", 5000)) + "relu" + new string('}', 5000), Expect.Either, "5,000 nested parallel blocks", child: true, timeout: 30);
        K("repeat(1000000000){relu}", Expect.Either, "10^9 layers: refuse, or finish", child: true, timeout: 20);
        K("repeat(1000000){repeat(1000000){dense relu}}", Expect.Either, "10^12 layers: refuse, or finish", child: true, timeout: 20);
        return list;
    }

    public static List<CliCase> Options()
    {
        var list = new List<CliCase>();
        string[] With(string[] b, params string[] extra) => [.. b, .. extra];
        void Opt(string cmd, string[] args, string option, string value, Expect e, string why, OutputSpec output, bool child = false, int timeout = 60)
        {
            list.Add(Case($"option/{cmd} {option} '{value}'", args, e, why, [output],
                e == Expect.Refuse ? OptionAndValue(option, value) : [], child, timeout));
        }

        // kernel
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("-1", Expect.Refuse, "γ must be > 0"), ("0", Expect.Refuse, "γ must be > 0"), ("nan", Expect.Refuse, "γ NaN"), ("inf", Expect.Refuse, "γ ∞"),
                     ("-inf", Expect.Refuse, "γ -∞"), ("1e309", Expect.Refuse, "1e309 is +∞"), ("abc", Expect.Refuse, "not a number"), ("", Expect.Refuse, "empty value"),
                     ("1e308", Expect.Either, "huge γ"), ("1e-308", Expect.Either, "tiny γ"), ("5e-324", Expect.Either, "subnormal γ"),
                 })
        {
            Opt("kernel", With(KernelBase, "--kernel", "gaussian", "--gamma", v), "--gamma", v, e, why, KernelOut);
        }
        Opt("kernel", With(KernelBase, "--kernel", "laplace", "--gamma", "-1"), "--gamma", "-1", Expect.Refuse, "γ must be > 0", KernelOut);
        Opt("kernel", With(KernelBase, "--kernel", "polynomial", "--gamma", "-1"), "--gamma", "-1", Expect.Either, "γ < 0 in a polynomial kernel", KernelOut);
        Opt("kernel", With(KernelBase, "--kernel", "linear", "--gamma", "-1"), "--gamma", "-1", Expect.Either, "--gamma is unused by the linear kernel", KernelOut);
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("-1", Expect.Refuse, "negative degree"), ("abc", Expect.Refuse, "not an integer"), ("1.5", Expect.Refuse, "not an integer"),
                     ("99999999999", Expect.Refuse, "beyond int"), ("0", Expect.Either, "degree 0: a constant kernel"), ("2000", Expect.Either, "(γx·x'+c)^2000 overflows"),
                     ("2147483647", Expect.Either, "int.MaxValue"),
                 })
        {
            Opt("kernel", With(KernelBase, "--kernel", "polynomial", "--degree", v), "--degree", v, e, why, KernelOut);
        }
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("nan", Expect.Refuse, "c NaN"), ("inf", Expect.Refuse, "c ∞"), ("abc", Expect.Refuse, "not a number"), ("-1e308", Expect.Either, "huge c"), ("1e308", Expect.Either, "huge c"),
                 })
        {
            Opt("kernel", With(KernelBase, "--kernel", "polynomial", "--coef0", v), "--coef0", v, e, why, KernelOut);
        }
        Opt("kernel", With(KernelBase, "--arch", Arch, "--get", "both"), "--get", "both", Expect.Refuse, "nngp or ntk", KernelOut);
        Opt("kernel", With(KernelBase, "--kernel", "gauss"), "--kernel", "gauss", Expect.Refuse, "unknown kernel", KernelOut);
        Opt("kernel", With(KernelBase, "--kernel", "none"), "--kernel", "none", Expect.Refuse, "none is for regress", KernelOut);
        Opt("kernel", With(KernelBase, "--kernel", "linear", "--provider", "quantum"), "--provider", "quantum", Expect.Refuse, "unknown provider", KernelOut);
        Opt("kernel", With(KernelBase, "--kernel", "linear", "--gama", "0.5"), "--gama", "--gama", Expect.Refuse, "unknown option (typo): naming the option is enough", KernelOut);
        Opt("kernel", With(KernelBase, "--kernel", "linear", "--split", "sideways"), "--split", "sideways", Expect.Either, "--split without --images", KernelOut);
        // --memory-budget is process-wide: children.
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("1KB", Expect.Either, "a dense network needs no budget"), ("-5", Expect.Refuse, "negative size"), ("abc", Expect.Refuse, "not a size"),
                     ("0", Expect.Refuse, "zero"), ("1e30GB", Expect.Either, "beyond long"),
                 })
        {
            Opt("kernel", With(KernelBase, "--arch", Arch, "--memory-budget", v), "--memory-budget", v, e, why, KernelOut, child: true);
        }
        var images = new Dictionary<string, byte[]>(BaseInputs())
        {
            ["img.npy"] = Formats.Npy("<f8", false, Formats.Shape(5, 8, 8, 1), Formats.F8(Enumerable.Range(0, 320).Select(i => Math.Sin(i)))),
        };
        list.Add(Case("option/kernel --memory-budget 1KB (convolution)", ["kernel", "--arch", "conv(size=3,w=1.4) relu global_avg_pool dense", "--x1", "{D}/img.npy", "--memory-budget", "1KB", "--out", "{D}/k.npy"],
            Expect.Refuse, "a convolutional kernel cannot fit 1 KB", [new("k.npy", 5, 5)], [["--memory-budget"]], child: true, inputs: images, about: "img.npy (5, 8, 8, 1) float64"));

        // regress
        var regressGaussian = With(RegressBase, "--kernel", "gaussian");
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("-1", Expect.Refuse, "λ must be ≥ 0"), ("nan", Expect.Refuse, "λ NaN"), ("inf", Expect.Refuse, "λ ∞"), ("-inf", Expect.Refuse, "λ -∞"), ("abc", Expect.Refuse, "not a number"),
                     ("-1e-300", Expect.Refuse, "λ < 0"), ("1e308", Expect.Either, "huge λ"), ("1e-308", Expect.Either, "tiny λ"),
                 })
        {
            Opt("regress", With(regressGaussian, "--ridge", v), "--ridge", v, e, why, RegressOut);
        }
        Opt("regress", With(regressGaussian, "--ridge", "1e308", "--ridge-relative"), "--ridge", "1e308", Expect.Either, "huge relative λ", RegressOut);
        Opt("regress", With(regressGaussian, "--gamma", "abc"), "--gamma", "abc", Expect.Refuse, "not a number", RegressOut);
        var gd = With(RegressBase, "--kernel", "none");
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("0", Expect.Refuse, "η must be > 0"), ("-1", Expect.Refuse, "η must be > 0"), ("nan", Expect.Refuse, "η NaN"), ("inf", Expect.Refuse, "η ∞"),
                     ("abc", Expect.Refuse, "not a number"), ("1e-300", Expect.Either, "tiny η"), ("1e308", Expect.Refuse, "far above the stable bound (without --force)"),
                 })
        {
            Opt("regress", With(gd, "--learning-rate", v), "--learning-rate", v, e, why, RegressOut);
        }
        Opt("regress", With(gd, "--learning-rate", "1e3", "--force"), "--learning-rate", "1e3", Expect.Either, "diverging gradient descent forced: refuse, or finite output", RegressOut);
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("-5", Expect.Refuse, "negative step count"), ("-2147483648", Expect.Refuse, "negative step count"), ("abc", Expect.Refuse, "not an integer"),
                     ("99999999999", Expect.Refuse, "beyond int"), ("0", Expect.Either, "no steps"), ("1", Expect.Either, "one step"),
                 })
        {
            Opt("regress", With(gd, "--learning-rate", "0.01", "--steps", v), "--steps", v, e, why, RegressOut);
        }
        Opt("regress", With(gd, "--learning-rate", "0.01", "--steps", "2147483647"), "--steps", "2147483647", Expect.Either, "2^31 steps: finish (converged) or refuse, within 30 s", RegressOut, child: true, timeout: 30);
        Opt("regress", With(regressGaussian, "--steps", "-5"), "--steps", "-5", Expect.Either, "--steps unused without --learning-rate", RegressOut);
        list.Add(Case("option/regress --y-test of the wrong length", With(regressGaussian, "--y-test", "{D}/y.csv"), Expect.Refuse,
            "--y-test has 6 rows for 4 predictions; no prediction file may be left", [RegressOut], [["--y-test"]]));
        list.Add(Case("option/regress --y-train of the wrong length", ["regress", "--kernel", "linear", "--x-train", "{D}/x.csv", "--y-train", "{D}/yt.csv", "--x-test", "{D}/xt.csv", "--out", "{D}/p.npy"],
            Expect.Refuse, "4 targets for 6 inputs", [RegressOut], [["--y-train", "yt.csv"]]));
        list.Add(Case("option/regress --x-test with other columns", ["regress", "--kernel", "linear", "--x-train", "{D}/x.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/y.csv", "--out", "{D}/p.npy"],
            Expect.Refuse, "1 column against 3", [RegressOut], [["--x-test", "y.csv"]]));
        list.Add(Case("option/regress --x-train is a user text file", ["regress", "--kernel", "linear", "--x-train", "{D}/thesis.txt", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out", "{D}/p.npy"],
            Expect.Refuse, "prose is not numbers", [RegressOut], [["thesis.txt"]]));
        list.Add(Case("option/regress --x-train is a folder", ["regress", "--kernel", "linear", "--x-train", "{D}/results", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out", "{D}/p.npy"],
            Expect.Refuse, "a folder is not a file", [RegressOut], [["results"]]));

        // predict
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("-1", Expect.Refuse, "t ≥ 0"), ("nan", Expect.Refuse, "t NaN"), ("abc", Expect.Refuse, "not a time"), ("", Expect.Refuse, "empty"), ("1,-1", Expect.Refuse, "t ≥ 0"),
                     ("-inf", Expect.Refuse, "t ≥ 0"), (",", Expect.Refuse, "no time"), ("0", Expect.Either, "t = 0: the initial ensemble"), ("1e308", Expect.Either, "huge t"),
                     ("1e-308", Expect.Either, "tiny t"), ("1e400", Expect.Either, "1e400 reads as ∞"),
                 })
        {
            Opt("predict", With(PredictBase, "--time", v), "--time", v, e, why, PredictOut);
        }
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("0", Expect.Refuse, "η must be > 0"), ("-1", Expect.Refuse, "η must be > 0"), ("nan", Expect.Refuse, "η NaN"), ("inf", Expect.Refuse, "η ∞"),
                     ("abc", Expect.Refuse, "not a number"), ("1e-300", Expect.Either, "tiny η"),
                 })
        {
            Opt("predict", With(PredictCore, "--time", "100", "--learning-rate", v), "--learning-rate", v, e, why, PredictOut);
        }
        Opt("predict", With(PredictCore, "--time", "100", "--learning-rate", "1e6", "--force"), "--learning-rate", "1e6", Expect.Either, "unstable η forced: refuse, or finite output", PredictOut);
        foreach (var (v, e, why) in new (string, Expect, string)[]
                 {
                     ("-1", Expect.Refuse, "λ ≥ 0"), ("nan", Expect.Refuse, "λ NaN"), ("inf", Expect.Refuse, "λ ∞"), ("1e308", Expect.Either, "huge λ"),
                 })
        {
            Opt("predict", With(PredictBase, "--ridge", v), "--ridge", v, e, why, PredictOut);
        }
        Opt("predict", With(PredictBase, "--out-cov", "{D}/c.npy", "--cov", "both"), "--cov", "both", Expect.Refuse, "diag or full", PredictOut);
        Opt("predict", With(PredictBase, "--get", "xyz"), "--get", "xyz", Expect.Refuse, "nngp or ntk", PredictOut);

        // criticality
        foreach (var (opt, v, e, why) in new (string, string, Expect, string)[]
                 {
                     ("--w", "-1", Expect.Refuse, "σw ≥ 0"), ("--w", "nan", Expect.Refuse, "σw NaN"), ("--w", "inf", Expect.Refuse, "σw ∞"), ("--w", "abc", Expect.Refuse, "not a number"),
                     ("--w", "0", Expect.Either, "σw = 0"), ("--w", "1e308", Expect.Either, "huge σw: refuse, or finite results"), ("--w", "1e-308", Expect.Either, "tiny σw"),
                     ("--b", "-1", Expect.Refuse, "σb ≥ 0"), ("--b", "nan", Expect.Refuse, "σb NaN"), ("--b", "inf", Expect.Refuse, "σb ∞"), ("--b", "1e308", Expect.Either, "huge σb"),
                 })
        {
            list.Add(Case($"option/criticality {opt} '{v}'", ["criticality", "--act", "erf", opt, v], e, why, [],
                e == Expect.Refuse ? OptionAndValue(opt, v) : [], stdout: CriticalityFinite));
        }
        foreach (var (act, e, why) in new (string, Expect, string)[]
                 {
                     ("relu", Expect.Succeed, "control"), ("erf", Expect.Succeed, "control"), ("gelu", Expect.Succeed, "control"), ("exp(b=30)", Expect.Either, "E[e^{60z}] overflows: refuse, or finite"),
                     ("dense", Expect.Refuse, "not an activation"), ("relu dense", Expect.Refuse, "an architecture, not one activation"), ("rleu", Expect.Refuse, "unknown"),
                     ("sign", Expect.Either, "no derivative"), ("erf(b=1e308)", Expect.Either, "huge slope"), ("polynomial(coef=0;0;1)", Expect.Either, "x²"), ("", Expect.Refuse, "empty"),
                 })
        {
            list.Add(Case($"option/criticality --act '{act}'", ["criticality", "--act", act], e, why, [], e == Expect.Refuse ? [act.Length > 0 ? ["--act", act] : ["--act"]] : [],
                stdout: CriticalityFinite));
        }

        // info, root
        list.Add(Case("option/info", ["info"], Expect.Succeed, "control", []));
        list.Add(Case("option/info --provider quantum", ["info", "--provider", "quantum"], Expect.Refuse, "unknown provider", [], [["quantum"]]));
        list.Add(Case("option/info --provider native", ["info", "--provider", "native"], Expect.Either, "native may be unavailable", []));
        list.Add(Case("option/info extra", ["info", "extra"], Expect.Refuse, "unexpected argument", [], [["extra"]]));
        list.Add(Case("option/(no command)", [], Expect.Either, "no command: help, or a usage error", []));
        list.Add(Case("option/frobnicate", ["frobnicate"], Expect.Refuse, "unknown command", [], [["frobnicate"]]));
        list.Add(Case("option/kernel (nothing)", ["kernel"], Expect.Refuse, "--out is required", [], [["--out", "--x1", "--kernel"]]));
        list.Add(Case("option/kernel --out without value", ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--out"], Expect.Refuse, "--out needs a value", [], [["--out"]]));

        // bench: only refusals (a real benchmark takes minutes); children under a heap limit.
        foreach (var (args, e, why, mention) in new (string[], Expect, string, string[][])[]
                 {
                     (["bench", "--gemm-n", "100000", "--cholesky-n", "0", "--provider", "managed"], Expect.Either, "240 GB of matrices: refuse (memory), not crash", []),
                     (["bench", "--cholesky-n", "60000", "--gemm-n", "0", "--provider", "managed"], Expect.Either, "29 GB: refuse (memory), not crash", []),
                     (["bench", "--gemm-n", "2147483647", "--cholesky-n", "0", "--provider", "managed"], Expect.Either, "n² overflows int", []),
                     (["bench", "--gemm-n", "-1", "--cholesky-n", "0"], Expect.Refuse, "negative order", [["--gemm-n"], ["-1"]]),
                     (["bench", "--gemm-n", "0", "--cholesky-n", "-1"], Expect.Refuse, "negative order", [["--cholesky-n"], ["-1"]]),
                     (["bench", "--gemm-n", "0", "--cholesky-n", "0", "--repeats", "0"], Expect.Refuse, "no repeat", [["--repeats"], ["0"]]),
                     (["bench", "--gemm-n", "0", "--cholesky-n", "0", "--provider", "quantum"], Expect.Refuse, "unknown provider", [["quantum"]]),
                     (["bench", "--gemm-n", "abc"], Expect.Refuse, "not an integer", [["--gemm-n"], ["abc"]]),
                 })
        {
            list.Add(Case($"option/{string.Join(' ', args)}", args, e, why, [], mention, child: true, timeout: 60));
        }
        return list;
    }

    public static List<CliCase> Overflow()
    {
        var list = new List<CliCase>();
        Dictionary<string, byte[]> Scaled(double scale, string ext = ".csv")
        {
            var d = BaseInputs();
            var m = Formats.Matrix(6, 3, 11, scale);
            var t = Formats.Matrix(4, 3, 13, scale);
            d["big" + ext] = ext == ".csv" ? Encoding.UTF8.GetBytes(Formats.Csv(m)) : Formats.NpyF8(m);
            d["bigt" + ext] = ext == ".csv" ? Encoding.UTF8.GetBytes(Formats.Csv(t)) : Formats.NpyF8(t);
            return d;
        }
        void K(string label, double scale, string[] kernelArgs, string why, string outName = "k.npy")
        {
            list.Add(Case($"overflow/kernel {label} on inputs ×{scale:G3}", ["kernel", .. kernelArgs, "--x1", "{D}/big.csv", "--out", "{D}/" + outName], Expect.Either, why,
                [new(outName, 6, 6)], inputs: Scaled(scale), about: $"big.csv: 6×3 values in [-2, 2]·{scale:G3}"));
        }
        K("linear", 1e160, ["--kernel", "linear"], "x·x' = 1e320 overflows");
        K("gaussian", 1e160, ["--kernel", "gaussian"], "‖x − x'‖² overflows");
        K("laplace", 1e160, ["--kernel", "laplace"], "‖x − x'‖ at 1e160");
        K("polynomial degree 50", 1e10, ["--kernel", "polynomial", "--degree", "50"], "(x·x')^50 overflows");
        K("linear float32", 1e30, ["--kernel", "linear", "--float32"], "1e60 does not fit float32", "k32.npy");
        K("arch relu depth 50", 1e150, ["--arch", "dense(w=1.5) repeat(50){relu dense(w=1.5)}"], "depth-50 ReLU on 1e150 inputs");
        K("arch erf", 1e300, ["--arch", "dense erf dense"], "erf saturates; its kernel must stay finite");
        K("arch gelu", 1e200, ["--arch", "dense gelu dense"], "GELU on huge variances");
        K("arch dense w=1e200 twice", 1, ["--arch", "dense(w=1e200) relu dense(w=1e200)"], "σw² = 1e400 per layer");
        K("arch exp(b=30)", 1, ["--arch", "dense exp(b=30) dense"], "E[e^{30u}e^{30v}] overflows");
        K("gaussian tiny inputs", 1e-320, ["--kernel", "gaussian"], "subnormal inputs (γ = 1/d)");
        list.Add(Case("overflow/regress linear kernel on 1e160", ["regress", "--kernel", "linear", "--x-train", "{D}/big.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/bigt.csv", "--out", "{D}/p.npy"],
            Expect.Either, "the kernel matrix overflows", [RegressOut], inputs: Scaled(1e160), about: "big.csv, bigt.csv at 1e160"));
        list.Add(Case("overflow/regress none on 1e160", ["regress", "--kernel", "none", "--x-train", "{D}/big.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/bigt.csv", "--out", "{D}/p.npy"],
            Expect.Either, "XᵀX overflows", [RegressOut], inputs: Scaled(1e160), about: "big.csv, bigt.csv at 1e160"));
        list.Add(Case("overflow/regress duplicate rows λ=0", ["regress", "--kernel", "linear", "--x-train", "{D}/dup.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out", "{D}/p.npy"],
            Expect.Either, "a singular kernel matrix: minimum-norm solution or a refusal", [RegressOut],
            inputs: new(BaseInputs()) { ["dup.csv"] = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("1,2,3\n", 6))) }, about: "dup.csv: the row 1,2,3 six times"));
        list.Add(Case("overflow/regress --standardize with a constant column", ["regress", "--kernel", "gaussian", "--standardize", "--x-train", "{D}/const.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out", "{D}/p.npy"],
            Expect.Either, "std 0 must not divide", [RegressOut],
            inputs: new(BaseInputs()) { ["const.csv"] = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 6).Select(i => $"{i},7,{i * i}\n"))) }, about: "const.csv: column 2 is always 7"));
        list.Add(Case("overflow/predict σw = 1e200", ["predict", "--arch", "dense(w=1e200) relu dense(w=1e200)", "--time", "5", "--learning-rate", "1e-3", "--x-train", "{D}/x.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--out-mean", "{D}/m.npy", "--out-cov", "{D}/c.npy"],
            Expect.Either, "kernels overflow", [PredictOut, new("c.npy", 4, 1)]));
        list.Add(Case("overflow/predict relu on 1e150", ["predict", "--arch", "dense relu dense", "--learning-rate", "1e-3", "--x-train", "{D}/big.npy", "--y-train", "{D}/y.csv", "--x-test", "{D}/bigt.npy", "--time", "1,inf", "--out-mean", "{D}/m.npy"],
            Expect.Either, "kernels at 1e300", [new("m_t1.npy", 4, 1), new("m_tinf.npy", 4, 1)], inputs: Scaled(1e150, ".npy"), about: "big.npy, bigt.npy at 1e150"));
        list.Add(Case("overflow/criticality relu --w 1e308", ["criticality", "--act", "relu", "--w", "1e308"], Expect.Either, "q* overflows", [], stdout: CriticalityFinite));
        return list;
    }

    public static List<CliCase> OutputPaths()
    {
        var list = new List<CliCase>();
        list.Add(Case("paths/predict --out-mean a.npy --out-cov a.npy", [.. PredictBase[..^2], "--out-mean", "{D}/a.npy", "--out-cov", "{D}/a.npy"], Expect.Refuse,
            "the covariance would overwrite the mean", [new("a.npy", 4, 1)], [["--out-mean", "--out-cov", "a.npy"]]));
        list.Add(Case("paths/predict same mean and cov with two times", [.. PredictBase[..^2], "--time", "1,2", "--out-mean", "{D}/a.npy", "--out-cov", "{D}/a.npy"], Expect.Refuse,
            "covariances would overwrite means", [], [["--out-mean", "--out-cov", "a.npy"]]));
        list.Add(Case("paths/predict --time 1000000,1000001", [.. PredictBase, "--time", "1000000,1000001"], Expect.Succeed,
            "two times: one file with a leading time axis", [new("m.npy")], newFiles: 1));
        list.Add(Case("paths/predict --time 1000000,1000001 --per-time", [.. PredictBase, "--time", "1000000,1000001", "--per-time"], Expect.Succeed,
            "two times, one file each: the names must differ (G6 formatting names both 1e+06)", [], newFiles: 2));
        list.Add(Case("paths/predict --time 1e400,inf", [.. PredictBase, "--time", "1e400,inf"], Expect.Either,
            "1e400 reads as ∞: refuse, or one file per distinct time", []));
        list.Add(Case("paths/predict --plot with one time", [.. PredictBase, "--time", "10", "--plot", "{D}/err.png"], Expect.Refuse,
            "--plot needs two finite times: refuse before writing the mean", [], [["--plot", "--time"]]));
        list.Add(Case("paths/predict --out-cov in a missing folder", [.. PredictBase, "--out-cov", "{D}/nope/c.npy"], Expect.Refuse,
            "the covariance folder does not exist: no mean file may be left", [], [["nope"]]));
        list.Add(Case("paths/predict --plot and times (control)", [.. PredictBase[..^2], "--time", "1,10", "--y-test", "{D}/yt.csv", "--out-mean", "{D}/m.npy", "--out-cov", "{D}/v.npy", "--plot", "{D}/err.png"],
            Expect.Succeed, "valid", [new("m.npy"), new("v.npy"), new("err.png")]));
        list.Add(Case("paths/kernel --out is a user folder", ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--out", "{D}/results"], Expect.Refuse,
            "a folder is not a file", [], [["results"]]));
        list.Add(Case("paths/kernel --out in a missing folder", ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--out", "{D}/nope/k.npy"], Expect.Refuse,
            "the folder does not exist", [], [["nope"]]));
        list.Add(Case("paths/kernel --out k.xlsx", ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--out", "{D}/k.xlsx"], Expect.Refuse,
            "unknown format", [], [["xlsx"]]));
        list.Add(Case("paths/kernel --out k (no extension)", ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--out", "{D}/k"], Expect.Refuse,
            "no format", [], [["--out", "'k'", "/k"]]));
        list.Add(Case("paths/kernel --x1 missing file", ["kernel", "--kernel", "linear", "--x1", "{D}/missing.csv", "--out", "{D}/k.npy"], Expect.Refuse,
            "no such file", [], [["missing.csv"]]));
        list.Add(Case("paths/kernel --x2 with other columns", ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--x2", "{D}/y.csv", "--out", "{D}/k.npy"], Expect.Refuse,
            "3 columns against 1", [], [["--x2", "y.csv"]]));
        list.Add(Case("paths/kernel relative --out (child, cwd = work)", ["kernel", "--kernel", "linear", "--x1", "x.csv", "--out", "k.npy"], Expect.Succeed,
            "relative paths resolve against the working directory", [KernelOut], child: true));
        return list;
    }

    /// <summary>Report folders: <c>--out .</c>, a user folder, a user file (experiment kernels, the fastest; demo only refusals).</summary>
    public static List<CliCase> Reports()
    {
        var list = new List<CliCase>();
        list.Add(Case("report/experiment kernels --out fresh (control)", ["experiment", "kernels", "--out", "{D}/fresh"], Expect.Succeed, "a new folder", [new("fresh", IsDirectory: true)]));
        list.Add(Case("report/experiment kernels --out empty folder", ["experiment", "kernels", "--out", "{D}/empty"], Expect.Either, "an existing empty folder", [new("empty", IsDirectory: true)]));
        foreach (var cmd in new[] { "experiment kernels", "demo" })
        {
            string[] c = cmd.Split(' ');
            list.Add(Case($"report/{cmd} --out .", [.. c, "--out", "."], Expect.Refuse, "the working directory holds the user's files", [], [["--out"]], child: true, timeout: 90));
            list.Add(Case($"report/{cmd} --out user folder", [.. c, "--out", "{D}/results"], Expect.Refuse, "results/ holds the user's files", [], [["--out", "results"]], child: true, timeout: 90));
            list.Add(Case($"report/{cmd} --out user file", [.. c, "--out", "{D}/thesis.txt"], Expect.Refuse, "thesis.txt is a file", [], [["thesis.txt"]], child: true, timeout: 90));
        }
        list.Add(Case("report/experiment kernels --out ..", ["experiment", "kernels", "--out", ".."], Expect.Refuse, "the parent folder", [], [["--out"]], child: true, timeout: 90));
        list.Add(Case("report/experiment kernels --out DIR (absolute work folder)", ["experiment", "kernels", "--out", "{D}"], Expect.Refuse, "the work folder holds the user's files", [], [["--out"]]));
        list.Add(Case("report/experiment kernels --seed abc", ["experiment", "kernels", "--seed", "abc", "--out", "{D}/r"], Expect.Refuse, "not an integer", [], [["--seed"], ["abc"]]));
        list.Add(Case("report/experiment (no name)", ["experiment"], Expect.Refuse, "which experiment?", []));
        list.Add(Case("report/experiment width --widths 0", ["experiment", "width", "--widths", "0", "--out", "{D}/r"], Expect.Refuse, "width 0", [], [["--widths"], ["0"]], child: true, timeout: 60));
        list.Add(Case("report/experiment width --steps -5", ["experiment", "width", "--widths", "8", "--train", "10", "--steps", "-5", "--out", "{D}/r"], Expect.Refuse, "negative steps", [], [["--steps"], ["-5"]], child: true, timeout: 60));
        list.Add(Case("report/experiment width --train 0", ["experiment", "width", "--widths", "8", "--steps", "10", "--train", "0", "--out", "{D}/r"], Expect.Refuse, "no training points", [], [["--train"], ["0"]], child: true, timeout: 60));
        list.Add(Case("report/experiment double-descent --train 0", ["experiment", "double-descent", "--train", "0", "--out", "{D}/r"], Expect.Refuse, "no training points", [], [["--train"], ["0"]], child: true, timeout: 60));
        list.Add(Case("report/experiment double-descent --seeds 0", ["experiment", "double-descent", "--train", "10", "--seeds", "0", "--out", "{D}/r"], Expect.Refuse, "no seeds", [], [["--seeds"], ["0"]], child: true, timeout: 60));
        list.Add(Case("report/demo --seed abc", ["demo", "--seed", "abc", "--out", "{D}/r"], Expect.Refuse, "not an integer", [], [["--seed"], ["abc"]], child: true));
        return list;
    }
}
