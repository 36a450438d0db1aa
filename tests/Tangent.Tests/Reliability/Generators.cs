using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Tangent.Tests.Reliability;

/// <summary>
/// FsCheck generators of whole cases: a command (kernel, regress, predict) with random sizes and
/// kernel, one input slot filled by a random file (valid, or one defect of <see cref="Inputs"/>)
/// and up to two random option values (valid, out of range, unparseable, extreme). The demanded
/// outcome is composed from the parts: any defect that only a refusal answers demands exit 2;
/// all-valid parts demand exit 0 with outputs of the known shape; anything else accepts either.
/// </summary>
internal static class Generators
{
    /// <summary>How an option value is judged.</summary>
    private enum Kind { Valid, Extreme, Range, Parse }

    private sealed record OptionValue(string Option, string Value, Kind Kind, Func<string, bool> RelevantFor);

    private static readonly string[] Archs =
    [
        "dense relu dense", "dense(w=1.5,b=0.1) erf dense", "dense gelu dense(w=2)", "dense(w=1.2) repeat(3){relu dense(w=1.4,b=0.05)}",
        "dense parallel{identity | dense(w=1.2) relu dense(w=1.3)} relu dense", "dense(w=1.4) abs dense", "dense(w=1,b=0.2) sin dense",
    ];

    private static bool Always(string _) => true;

    private static readonly OptionValue[] KernelOptions =
    [
        new("--gamma", "-1", Kind.Range, k => k is "gaussian" or "laplace"), new("--gamma", "0", Kind.Range, k => k is "gaussian" or "laplace"),
        new("--gamma", "nan", Kind.Range, k => k is "gaussian" or "laplace" or "polynomial"), new("--gamma", "inf", Kind.Range, k => k is "gaussian" or "laplace" or "polynomial"),
        new("--gamma", "abc", Kind.Parse, Always), new("--gamma", "1e308", Kind.Extreme, Always), new("--gamma", "1e-300", Kind.Extreme, Always), new("--gamma", "0.7", Kind.Valid, Always),
        new("--degree", "-1", Kind.Range, k => k == "polynomial"), new("--degree", "1.5", Kind.Parse, Always), new("--degree", "99999999999", Kind.Parse, Always),
        new("--degree", "0", Kind.Extreme, Always), new("--degree", "40", Kind.Extreme, Always), new("--degree", "2", Kind.Valid, Always),
        new("--coef0", "nan", Kind.Range, k => k == "polynomial"), new("--coef0", "inf", Kind.Range, k => k == "polynomial"), new("--coef0", "-5", Kind.Extreme, Always),
        new("--get", "xyz", Kind.Range, k => k == "arch"), new("--get", "nngp", Kind.Valid, Always),
    ];

    private static readonly OptionValue[] RegressOptions =
    [
        new("--ridge", "-1", Kind.Range, Always), new("--ridge", "nan", Kind.Range, Always), new("--ridge", "inf", Kind.Range, Always), new("--ridge", "abc", Kind.Parse, Always),
        new("--ridge", "1e308", Kind.Extreme, Always), new("--ridge", "1e-8", Kind.Valid, Always),
        new("--learning-rate", "0", Kind.Range, k => k == "none"), new("--learning-rate", "-1", Kind.Range, k => k == "none"), new("--learning-rate", "nan", Kind.Range, k => k == "none"),
        new("--learning-rate", "1e308", Kind.Range, k => k == "none"), new("--learning-rate", "abc", Kind.Parse, Always),
        new("--steps", "-5", Kind.Extreme, Always), new("--steps", "abc", Kind.Parse, Always), new("--steps", "0", Kind.Extreme, Always),
        new("--gamma", "-1", Kind.Range, k => k is "gaussian" or "laplace"), new("--gamma", "nan", Kind.Range, k => k is "gaussian" or "laplace" or "polynomial"),
        new("--standardize", "", Kind.Valid, Always), new("--ridge-relative", "", Kind.Valid, Always), new("--intercept", "", Kind.Valid, Always),
    ];

    private static readonly OptionValue[] PredictOptions =
    [
        new("--time", "-1", Kind.Range, Always), new("--time", "nan", Kind.Range, Always), new("--time", "abc", Kind.Range, Always), new("--time", "1e308", Kind.Extreme, Always),
        new("--time", "0", Kind.Extreme, Always), new("--time", "100", Kind.Valid, Always),
        new("--learning-rate", "0", Kind.Range, Always), new("--learning-rate", "-1", Kind.Range, Always), new("--learning-rate", "nan", Kind.Range, Always),
        new("--learning-rate", "1e6", Kind.Extreme, Always), new("--learning-rate", "1e-3", Kind.Valid, Always), // 1e6: unstable, but at t = ∞ η does not matter
        new("--ridge", "-1", Kind.Range, Always), new("--ridge", "nan", Kind.Range, Always), new("--ridge", "1e-6", Kind.Valid, Always),
        new("--get", "xyz", Kind.Range, Always), new("--get", "nngp", Kind.Valid, Always),
    ];

    /// <summary>A random file for a slot holding <paramref name="m"/>: valid CSV/NPY, a bad cell, a ragged row, or a whole-file variant.</summary>
    public static Gen<InputFile> SlotFile(double[,] m, int seed)
    {
        int n = m.GetLength(0), d = m.GetLength(1);
        var tokens = d == 1 ? Inputs.BadTokens.Where(t => t.Length > 0).ToArray() : Inputs.BadTokens;
        var valid = Gen.Elements(Inputs.ValidCsv(m), Inputs.ValidNpy(m));
        var badCell = from row in Gen.Choose(1, n)
                      from col in Gen.Choose(1, d)
                      from token in Gen.Elements(tokens)
                      from header in Gen.Elements(false, true)
                      select Inputs.CsvBadCell(m, row, col, token, header);
        var ragged = from row in Gen.Choose(1, n)
                     from extra in d == 1 ? Gen.Constant(true) : Gen.Elements(false, true)
                     select Inputs.CsvRagged(m, row, extra);
        var variants = Inputs.CsvVariants(m, seed).Where(v => d > 1 || v.Label is not ("decimal-comma" or "header-with-number"))
            .Concat(Inputs.NpyVariants(m)).Select(v => v.File).ToArray();
        return Gen.Frequency((4, valid), (3, badCell), (1, ragged), (3, Gen.Elements(variants)));
    }

    /// <summary>A random case of kernel, regress or predict.</summary>
    public static Gen<CliCase> Case() =>
        from command in Gen.Elements("kernel", "regress", "predict")
        from n in Gen.Choose(3, 8)
        from m in Gen.Choose(2, 5)
        from d in Gen.Choose(1, 4)
        from seed in Gen.Choose(0, 1_000_000)
        from kernel in Gen.Elements(command == "kernel" ? ["linear", "gaussian", "laplace", "polynomial", "arch"]
            : command == "regress" ? ["linear", "gaussian", "laplace", "polynomial", "none", "arch"] : new[] { "arch" })
        from arch in Gen.Elements(Archs)
        from slot in Gen.Elements(command == "kernel" ? ["--x1", "--x2"] : new[] { "--x-train", "--y-train", "--x-test", "--y-test" })
        from optionCount in Gen.Frequency((3, Gen.Constant(0)), (3, Gen.Constant(1)), (1, Gen.Constant(2)))
        from options in Gen.ListOf(Gen.Elements(command == "kernel" ? KernelOptions : command == "regress" ? RegressOptions : PredictOptions), optionCount)
        from file in SlotFile(Matrices(n, m, d, seed)[slot], seed)
        select Build(command, n, m, d, seed, kernel, arch, slot, file, Applicable(options.GroupBy(o => o.Option).Select(g => g.First()).ToList(), command, kernel));

    /// <summary>
    /// Drops valid values of options that the chosen kernel does not use: the command line refuses an
    /// option it would ignore (e.g. --degree with --kernel linear), so such a case is not "every part valid".
    /// Out-of-range and unparsable values stay: they are refused at parse time whatever the kernel.
    /// </summary>
    private static List<OptionValue> Applicable(List<OptionValue> options, string command, string kernel)
    {
        if (command == "predict") return options;   // predict's options all apply to its network
        bool gd = kernel == "none" && options.Any(o => o.Option == "--learning-rate");
        bool Applies(string option) => option switch
        {
            "--gamma" => kernel is "gaussian" or "laplace" or "polynomial",
            "--degree" or "--coef0" => kernel == "polynomial",
            "--get" => kernel == "arch",
            "--learning-rate" or "--intercept" => kernel == "none",
            "--steps" => gd,
            _ => true,
        };
        return options.Where(o => o.Kind is Kind.Parse or Kind.Range || Applies(o.Option)).ToList();
    }

    private static Dictionary<string, double[,]> Matrices(int n, int m, int d, int seed) => new()
    {
        ["--x1"] = Formats.Matrix(n, d, seed), ["--x2"] = Formats.Matrix(m, d, seed + 1),
        ["--x-train"] = Formats.Matrix(n, d, seed), ["--y-train"] = Formats.Matrix(n, 1, seed + 2),
        ["--x-test"] = Formats.Matrix(m, d, seed + 1), ["--y-test"] = Formats.Matrix(m, 1, seed + 3),
    };

    private static CliCase Build(string command, int n, int m, int d, int seed, string kernel, string arch, string slot, InputFile file, List<OptionValue> options)
    {
        var mats = Matrices(n, m, d, seed);
        var inputs = new Dictionary<string, byte[]>();
        var about = new List<string>();
        string FileFor(string s)
        {
            if (s == slot)
            {
                string name = "in" + file.Extension;
                inputs[name] = file.Bytes;
                about.Add($"{name} ({s}): {file.About}");
                return "{D}/" + name;
            }
            var mat = mats[s];
            string valid = s.TrimStart('-').Replace('-', '_') + ".csv";
            inputs[valid] = Encoding.UTF8.GetBytes(Formats.Csv(mat));
            about.Add($"{valid} valid {mat.GetLength(0)}×{mat.GetLength(1)}");
            return "{D}/" + valid;
        }
        var args = new List<string> { command };
        if (kernel == "arch") args.AddRange(["--arch", arch]);
        else args.AddRange(["--kernel", kernel]);
        bool lrGiven = options.Any(o => o.Option == "--learning-rate");
        if (command == "regress" && kernel == "none" && !lrGiven && options.Any(o => o.Option == "--steps")) args.AddRange(["--learning-rate", "0.001"]);
        if (command == "predict" && !lrGiven) args.AddRange(["--learning-rate", "0.001"]); // the default η = 1 is above the stable bound of most of these kernels
        OutputSpec output;
        int? fileRows = file.Rows;
        // The slot's file decides the output shape only where its rows are the output's rows.
        switch (command)
        {
            case "kernel":
                args.AddRange(["--x1", FileFor("--x1")]);
                if (slot == "--x2") args.AddRange(["--x2", FileFor("--x2")]);
                output = new("k.npy", slot == "--x1" ? fileRows : n, slot == "--x2" ? fileRows : n);
                args.AddRange(["--out", "{D}/k.npy"]);
                break;
            default:
                args.AddRange(["--x-train", FileFor("--x-train"), "--y-train", FileFor("--y-train"), "--x-test", FileFor("--x-test")]);
                if (slot == "--y-test") args.AddRange(["--y-test", FileFor("--y-test")]);
                int? rows = slot == "--x-test" ? fileRows : m;
                if (command == "regress")
                {
                    output = new("p.npy", rows, 1);
                    args.AddRange(["--out", "{D}/p.npy"]);
                }
                else
                {
                    output = new("m.npy", rows, 1);
                    args.AddRange(["--out-mean", "{D}/m.npy"]);
                }
                break;
        }
        foreach (var o in options)
        {
            args.Add(o.Option);
            if (o.Value.Length > 0) args.Add(o.Value);
        }

        // The demanded outcome, composed.
        bool slotMismatch = file.Demand != Expect.Refuse && file.Rows is int r && slot switch
        {
            "--y-train" or "--x-train" => r != n,
            "--y-test" => r != m,
            _ => false,
        };
        var refusingOptions = options.Where(o => o.Kind == Kind.Parse || (o.Kind == Kind.Range && o.RelevantFor(kernel))).ToList();
        bool fileRefuse = file.Demand == Expect.Refuse || slotMismatch;
        Expect expect;
        string why;
        string[][] mention = [];
        if (fileRefuse || refusingOptions.Count > 0)
        {
            expect = Expect.Refuse;
            why = string.Join("; ", new[] { fileRefuse ? file.About : null }.Concat(refusingOptions.Select(o => $"{o.Option} {o.Value} ({o.Kind})")).Where(s => s is not null));
            // What the error must name is clear only when exactly one part is wrong (and no other part is odd).
            bool othersValid = options.All(o => o.Kind == Kind.Valid);
            if (fileRefuse && othersValid && !slotMismatch) mention = [["in" + file.Extension, slot], .. file.Mention.Select(x => new[] { x })];
            else if (file.Demand == Expect.Succeed && !slotMismatch && refusingOptions.Count == 1 && options.Count(o => o.Kind != Kind.Valid) == 1)
                mention = Catalogue.OptionAndValue(refusingOptions[0].Option, refusingOptions[0].Value);
        }
        else if (file.Demand == Expect.Succeed && options.All(o => o.Kind == Kind.Valid))
        {
            expect = Expect.Succeed;
            why = "every part is valid";
        }
        else
        {
            expect = Expect.Either;
            why = "extreme but legal values";
        }
        return new CliCase
        {
            Name = $"generated/{command} {kernel} {slot}",
            Args = args.ToArray(),
            Inputs = inputs,
            About = string.Join("; ", about) + $" (n = {n}, m = {m}, d = {d}, seed {seed.ToString(CultureInfo.InvariantCulture)})",
            Expect = expect,
            Why = why,
            Outputs = [output],
            MustMention = mention,
        };
    }

    /// <summary>Draws <paramref name="count"/> cases deterministically from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<CliCase> Draw(int count, ulong seed) => Case().Sample(count, new Rnd(seed), 30);
}
