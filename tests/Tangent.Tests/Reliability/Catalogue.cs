using System.Text;

namespace Tangent.Tests.Reliability;

/// <summary>
/// The fixed cases of the suite, one list per category: the inputs and parameters named in the
/// issue, against every command. The generated cases (<see cref="Generators"/>) add random
/// combinations of the same defects.
/// </summary>
internal static partial class Catalogue
{
    public static readonly double[,] X = Formats.Matrix(6, 3, 11);
    public static readonly double[,] Y = Formats.Matrix(6, 1, 12);
    public static readonly double[,] XT = Formats.Matrix(4, 3, 13);
    public static readonly double[,] YT = Formats.Matrix(4, 1, 14);

    /// <summary>Valid x.csv, y.csv, xt.csv, yt.csv (and .npy twins) for the commands' other slots.</summary>
    public static Dictionary<string, byte[]> BaseInputs() => new()
    {
        ["x.csv"] = Encoding.UTF8.GetBytes(Formats.Csv(X)),
        ["y.csv"] = Encoding.UTF8.GetBytes(Formats.Csv(Y)),
        ["xt.csv"] = Encoding.UTF8.GetBytes(Formats.Csv(XT)),
        ["yt.csv"] = Encoding.UTF8.GetBytes(Formats.Csv(YT)),
        ["x.npy"] = Formats.NpyF8(X),
        ["xt.npy"] = Formats.NpyF8(XT),
    };

    private const string Arch = "dense(w=1.5,b=0.1) relu dense(w=1.5)";

    /// <summary>A file placed in one slot of one command: the case that reads it.</summary>
    public static CliCase InSlot(string category, string label, InputFile f, string slot)
    {
        var inputs = BaseInputs();
        string file = "bad" + f.Extension;
        inputs[file] = f.Bytes;
        string B = "{D}/" + file;
        (string[] Args, OutputSpec Output) pick = slot switch
        {
            "kernel --x1" => (["kernel", "--kernel", "linear", "--x1", B, "--out", "{D}/k.npy"], new OutputSpec("k.npy", f.Rows, f.Rows)),
            "kernel --x2" => (["kernel", "--arch", Arch, "--x1", "{D}/x.csv", "--x2", B, "--out", "{D}/k.csv"], new OutputSpec("k.csv", 6, f.Rows)),
            "regress --x-test" => (["regress", "--kernel", "gaussian", "--ridge", "1e-3", "--x-train", "{D}/x.csv", "--y-train", "{D}/y.csv", "--x-test", B, "--out", "{D}/p.npy"],
                new OutputSpec("p.npy", f.Rows, 1)),
            "regress --y-train" => (["regress", "--kernel", "laplace", "--x-train", "{D}/x.npy", "--y-train", B, "--x-test", "{D}/xt.csv", "--out", "{D}/p.csv"],
                new OutputSpec("p.csv", 4, 1)),
            "predict --x-train" => (["predict", "--arch", Arch, "--x-train", B, "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--time", "10", "--learning-rate", "0.01", "--out-mean", "{D}/m.npy"],
                new OutputSpec("m.npy", 4, 1)),
            "predict --y-test" => (["predict", "--arch", Arch, "--x-train", "{D}/x.csv", "--y-train", "{D}/y.csv", "--x-test", "{D}/xt.csv", "--y-test", B, "--out-mean", "{D}/m.npy"],
                new OutputSpec("m.npy", 4, 1)),
            _ => throw new ArgumentException(slot),
        };
        var (args, output) = pick;
        // A valid file of another row count than the command needs is refused for the mismatch, which is right too.
        var demand = f.Demand;
        if (demand == Expect.Succeed && slot is "regress --y-train" or "predict --x-train" or "predict --y-test" && f.Rows != (slot == "predict --y-test" ? 4 : 6)) demand = Expect.Refuse;
        return new CliCase
        {
            Name = $"{category}/{label} → {slot}",
            Args = args,
            Inputs = inputs,
            About = $"{file}: {f.About}; x/y/xt files valid ({6}×3, 6×1, 4×3)",
            Expect = demand,
            Why = f.About,
            Outputs = [output],
            MustMention = demand == Expect.Refuse && f.Demand == Expect.Refuse ? [[file, slot.Split(' ')[1]], .. f.Mention.Select(m => new[] { m })] : [],
        };
    }

    public static List<CliCase> Csv()
    {
        var list = new List<CliCase>();
        string[] slots = ["kernel --x1", "regress --x-test", "predict --x-train"];
        int s = 0;
        foreach (var token in Inputs.BadTokens)
            foreach (int row in new[] { 1, 4 })
                list.Add(InSlot("csv", $"cell '{token}' in row {row}", Inputs.CsvBadCell(X, row, 2, token), slots[s++ % slots.Length]));
        foreach (var token in new[] { "NA", "nan", "" })
            list.Add(InSlot("csv", $"header + cell '{token}'", Inputs.CsvBadCell(X, 3, 1, token, header: true), "kernel --x1"));
        list.Add(InSlot("csv", "y cell NA row 1", Inputs.CsvBadCell(Y, 1, 1, "NA"), "regress --y-train"));
        list.Add(InSlot("csv", "y cell inf row 5", Inputs.CsvBadCell(Y, 5, 1, "inf"), "regress --y-train"));
        list.Add(InSlot("csv", "y-test cell nan", Inputs.CsvBadCell(YT, 2, 1, "nan"), "predict --y-test"));
        foreach (int row in new[] { 1, 3, 6 })
            foreach (bool extra in new[] { false, true })
                list.Add(InSlot("csv", $"ragged row {row} {(extra ? "long" : "short")}", Inputs.CsvRagged(X, row, extra), slots[s++ % slots.Length]));
        foreach (var (label, f) in Inputs.CsvVariants(X, 5))
        {
            list.Add(InSlot("csv", label, f, "kernel --x1"));
            if (f.Demand != Expect.Succeed) list.Add(InSlot("csv", label, f, "kernel --x2"));
        }
        return list;
    }

    public static List<CliCase> Npy()
    {
        var list = new List<CliCase>();
        string[] slots = ["kernel --x1", "regress --x-test", "predict --x-train"];
        int s = 0;
        foreach (var (label, f) in Inputs.NpyVariants(X))
            list.Add(InSlot("npy", label, f, slots[s++ % slots.Length]));
        // Truncated data under a huge claimed shape: a reader that allocates before it checks the length takes gigabytes.
        // Child process under a 1 GiB heap limit, so that the machine is safe whatever the reader does.
        var huge = Formats.Npy("<f8", false, "(200000000, 10)", Formats.F8(Formats.Flatten(X)));
        list.Add(new CliCase
        {
            Name = "npy/huge claimed shape, 18 values (child, 1 GiB heap)",
            Args = ["kernel", "--kernel", "linear", "--x1", "{D}/bad.npy", "--out", "{D}/k.npy"],
            Inputs = new() { ["bad.npy"] = huge },
            About = "bad.npy: header shape (200000000, 10) <f8 (16 GB) followed by 18 values",
            Expect = Expect.Refuse,
            Why = "the data is 16 GB short of the shape; check the length before allocating",
            MustMention = [["bad.npy"]],
            OutOfProcess = true,
        });
        // --images npy:X,Y — the image reader's own checks (labels).
        var img = Formats.Npy("<f8", false, Formats.Shape(6, 2, 2, 1), Formats.F8(Enumerable.Range(0, 24).Select(i => i / 24.0)));
        foreach (var (label, labels) in new (string, double[])[]
                 {
                     ("labels NaN", [0, 1, double.NaN, 0, 1, 0]), ("labels negative", [0, 1, -1, 0, 1, 0]), ("labels 1.5", [0, 1, 1.5, 0, 1, 0]),
                     ("labels 1e10", [0, 1, 1e10, 0, 1, 0]), ("labels count 5", [0, 1, 0, 1, 0]), ("labels huge class 2^31-2", [0, 1, 2147483646, 0, 1, 0]),
                 })
        {
            list.Add(new CliCase
            {
                Name = $"npy/--images npy: {label}",
                Args = ["regress", "--kernel", "linear", "--images", "npy:{D}/img.npy,{D}/lab.npy", "--out", "{D}/p.npy"],
                Inputs = new() { ["img.npy"] = img, ["lab.npy"] = Formats.Npy("<f8", false, Formats.Shape(labels.Length), Formats.F8(labels)) },
                About = $"img.npy (6,2,2,1) valid; lab.npy {label}",
                Expect = Expect.Refuse,
                Why = "a label must be a small non-negative integer, one per image",
                MustMention = [["lab.npy"]],
                // One-hot targets for a class 2^31-2 would take 2^31 columns: a child under a heap limit.
                OutOfProcess = label.Contains("huge", StringComparison.Ordinal),
            });
        }
        list.Add(new CliCase
        {
            Name = "npy/--images npy: valid (control)",
            Args = ["regress", "--kernel", "linear", "--ridge", "1e-3", "--images", "npy:{D}/img.npy,{D}/lab.npy", "--out", "{D}/p.npy"],
            Inputs = new() { ["img.npy"] = img, ["lab.npy"] = Formats.Npy("<i8", false, Formats.Shape(6), [.. new long[] { 0, 1, 2, 0, 1, 2 }.SelectMany(BitConverter.GetBytes)]) },
            About = "img.npy (6,2,2,1), lab.npy int64 0..2",
            Expect = Expect.Succeed,
            Why = "valid images and labels",
            Outputs = [new("p.npy", 6, 3)],
        });
        return list;
    }

    /// <summary>MNIST-style IDX folders with one broken file; run as children (a reader may allocate what the header claims).</summary>
    public static List<CliCase> Idx()
    {
        byte[] Images(int n) => Formats.Idx(0x08, [n, 4, 4], Enumerable.Range(0, n * 16).Select(i => (byte)(i * 37 % 256)).ToArray());
        byte[] Labels(int n) => Formats.Idx(0x08, [n], Enumerable.Range(0, n).Select(i => (byte)(i % 3)).ToArray());
        Dictionary<string, byte[]> Folder(string? which = null, byte[]? bytes = null)
        {
            var d = new Dictionary<string, byte[]>
            {
                ["mn/train-images-idx3-ubyte"] = Images(6),
                ["mn/train-labels-idx1-ubyte"] = Labels(6),
                ["mn/t10k-images-idx3-ubyte"] = Images(3),
                ["mn/t10k-labels-idx1-ubyte"] = Labels(3),
            };
            if (which is not null)
            {
                if (which.EndsWith(".gz", StringComparison.Ordinal)) d.Remove("mn/" + which[..^3]);
                if (bytes is null) d.Remove("mn/" + which);
                else d["mn/" + which] = bytes;
            }
            return d;
        }
        var list = new List<CliCase>();
        void Add(string label, string file, byte[]? bytes, Expect expect = Expect.Refuse, bool limit = true, string? why = null)
        {
            string[] lim = limit ? ["--limit", "4", "--test-limit", "2"] : [];
            list.Add(new CliCase
            {
                Name = $"idx/{label}{(limit ? "" : " (no --limit)")}",
                Args = ["kernel", "--kernel", "linear", "--images", "mnist:{D}/mn", .. lim, "--out", "{D}/k.npy"],
                Inputs = Folder(file, bytes),
                About = $"mn/: valid 6 train / 3 test 4×4 images except {file}: {label}",
                Expect = expect,
                Why = why ?? label,
                Outputs = [new("k.npy", limit ? 4 : 6, limit ? 4 : 6)],
                MustMention = expect == Expect.Refuse && bytes is not null ? [[file]] : [],
                OutOfProcess = true,
            });
        }
        const string TI = "train-images-idx3-ubyte", TL = "train-labels-idx1-ubyte";
        byte[] ok = Images(6);
        Add("valid folder (control)", TI, ok, Expect.Succeed, why: "valid MNIST files");
        Add("valid folder (control)", TI, ok, Expect.Succeed, limit: false, why: "valid MNIST files");
        Add("bad magic", TI, [1, 0, .. ok[2..]]);
        Add("type code 0x07", TI, Formats.Idx(0x07, [6, 4, 4], ok.AsSpan()[16..]));
        Add("rank 0", TI, Formats.Idx(0x08, [], []));
        Add("negative axis", TI, Formats.Idx(0x08, [6, int.MinValue, 4], ok.AsSpan()[16..]));
        foreach (bool limit in new[] { true, false })
        {
            Add("axes 2^31-1 ×3 (product overflows)", TI, Formats.Idx(0x08, [int.MaxValue, int.MaxValue, int.MaxValue], ok.AsSpan()[16..]), limit: limit);
            Add("claims 2,000,000 28×28 images, has 96 bytes", TI, Formats.Idx(0x08, [2_000_000, 28, 28], ok.AsSpan()[16..]), limit: limit);
        }
        // With --limit only the first records are read: a defect past them may go unnoticed; without it, it may not.
        Add("truncated pixels", TI, ok[..^5], Expect.Either, why: "the missing bytes lie past --limit");
        Add("truncated pixels", TI, ok[..^5], limit: false);
        Add("rank 2 images", TI, Formats.Idx(0x08, [6, 16], ok.AsSpan()[16..]));
        Add("7 labels for 6 images", TL, Labels(7), Expect.Either, why: "the extra label lies past --limit");
        Add("7 labels for 6 images", TL, Labels(7), limit: false);
        Add("label 255", TL, Formats.Idx(0x08, [6], [0, 1, 2, 255, 1, 0]), Expect.Either, why: "an odd class index (255): refuse, or one-hot with 256 classes");
        Add("labels file missing", TL, null);
        Add("not gzip but named .gz", TI + ".gz", [.. "not gzip at all"u8], limit: true);
        return list;
    }
}
