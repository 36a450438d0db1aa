using System.CommandLine;
using System.Globalization;
using Tangent.Data;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// Image data for kernel/regress/predict: <c>--images mnist:DIR | cifar10:DIR | npy:X.npy,Y.npy[,XT.npy,YT.npy]</c>,
/// <c>--limit</c>, <c>--test-limit</c>, <c>--classes</c>, <c>--normalize</c>, <c>--label-shift</c>, and
/// <c>--image-shape</c> for flat inputs. 4-D <c>.npy</c> inputs (n, H, W, C) given to --x1/--x-train/… carry their shape.
/// </summary>
internal sealed class ImageInputs
{
    public Option<string?> Images { get; } = new("--images")
    {
        Description = "Image data set by path, instead of --x-train/--x1 files: mnist:DIR (MNIST or Fashion-MNIST IDX files, gzipped or not), " +
            "cifar10:DIR (the cifar-10-batches-bin folder), or npy:TRAIN_X.npy,TRAIN_Y.npy[,TEST_X.npy,TEST_Y.npy] (images (n,H,W,C), integer labels).",
    };
    public Option<int?> Limit { get; } = CliOptions.OptionalInt("--limit", "With --images: use the first N ≥ 1 training images (after --classes).", 1);
    public Option<int?> TestLimit { get; } = CliOptions.OptionalInt("--test-limit", "With --images: use the first M ≥ 1 test images (default: as --limit).", 1);
    public Option<string?> Classes { get; } = new("--classes") { Description = "With --images: keep these classes, relabelled 0..k-1 in order, e.g. 0,1 (the CIFAR-2 of Arora et al. 2019: airplane vs automobile) or 3,5 (cat vs dog)." };
    public Option<bool> Normalize { get; } = new("--normalize") { Description = "With image inputs: per-channel normalisation (mean 0, std 1) fitted on the training images." };
    public Option<double> LabelShift { get; } = CliOptions.Number("--label-shift", "With --images: one-hot targets shifted by this value, a finite number (Arora et al. 2019 use -0.1).", 0.0, NumberRange.Finite);
    public Option<string?> ImageShapeOption { get; } = new("--image-shape") { Description = "Shape HxWxC of flat image rows (H, W, C order) when the inputs are CSV or 2-D .npy, e.g. 28x28x1." };

    public Option<string?> MemoryBudget { get; } = new("--memory-budget") { Description = "Memory budget for computing kernels, e.g. 4GB or 512MB, from 1MB to the available memory (default: half of it for convolutional kernels, all of it otherwise); convolutional kernels are tiled to fit, others refused beyond it." };

    public void AddTo(Command c, bool withLabels = true)
    {
        c.Options.Add(MemoryBudget);
        c.Options.Add(Images); c.Options.Add(Limit); c.Options.Add(TestLimit); c.Options.Add(Classes);
        c.Options.Add(Normalize); c.Options.Add(ImageShapeOption);
        if (withLabels) c.Options.Add(LabelShift);
    }

    /// <summary>The bytes of --memory-budget, or null when not given (the engine's default); passed in the command's
    /// <see cref="Tangent.Engine.ComputeOptions"/>, never set process-wide.</summary>
    /// <exception cref="ArgumentException">Not a size, below 1MB or above the memory this process can use.</exception>
    public long? MemoryBudgetValue(ParseResult r) =>
        r.GetValue(MemoryBudget) is { } text ? CliOptions.ParseSize("--memory-budget", text) : null;

    /// <summary>A train/test split of images with one-hot targets (and the class names of the columns, when known).</summary>
    public sealed record Split(Matrix XTrain, Matrix YTrain, Matrix XTest, Matrix YTest, ImageShape Shape, string Description, IReadOnlyList<string>? ClassNames = null);

    /// <summary>The --images data set, or null when not given.</summary>
    public Split? Load(ParseResult r)
    {
        MemoryBudgetValue(r);   // a bad --memory-budget is refused before any reading
        string? spec = r.GetValue(Images);
        if (spec is null)
        {
            foreach (var o in new Option[] { Limit, TestLimit, Classes, LabelShift })
                if (r.GetResult(o) is { Implicit: false })
                    throw new CliError($"{o.Name} applies only to an image data set given with --images KIND:PATH.", "drop it, or give --images instead of --x-train/--x1 files.");
            return null;
        }
        int? limit = r.GetValue(Limit), testLimit = r.GetValue(TestLimit) ?? limit;
        int[]? classes = ParseClasses(r.GetValue(Classes));
        int? readLimit = classes is null ? limit : null, readTestLimit = classes is null ? testLimit : null;
        int colon = spec.IndexOf(':');
        if (colon < 1) throw new ArgumentException($"--images '{spec}' must be KIND:PATH with KIND mnist, cifar10 or npy, e.g. --images mnist:./mnist-data.");
        string kind = spec[..colon].Trim().ToLowerInvariant(), path = spec[(colon + 1)..].Trim();
        ImageSet train, test;
        switch (kind)
        {
            case "mnist" or "fashion-mnist" or "fashion":
            {
                string F(string stem) => FindIdx(path, stem);
                var names = kind == "mnist" ? null : Mnist.FashionClassNames;
                train = Mnist.Read(F("train-images-idx3-ubyte"), F("train-labels-idx1-ubyte"), readLimit, names);
                test = Mnist.Read(F("t10k-images-idx3-ubyte"), F("t10k-labels-idx1-ubyte"), readTestLimit, names);
                break;
            }
            case "cifar10" or "cifar":
                (train, test) = Cifar10.ReadDirectory(path, readLimit, readTestLimit);
                break;
            case "npy":
            {
                var files = path.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (files.Length is not (2 or 4))
                    throw new ArgumentException($"--images npy:… needs TRAIN_X.npy,TRAIN_Y.npy or TRAIN_X.npy,TRAIN_Y.npy,TEST_X.npy,TEST_Y.npy; got {files.Length} paths.");
                train = ImageSet.FromNpy(files[0], files[1]);
                test = files.Length == 4 ? ImageSet.FromNpy(files[2], files[3]) : train;
                break;
            }
            default:
                throw new ArgumentException($"--images kind '{kind}' is unknown; use mnist:DIR, fashion-mnist:DIR, cifar10:DIR or npy:X.npy,Y.npy[,XT.npy,YT.npy].");
        }
        if (classes is not null) { train = train.WhereClass(classes); test = test.WhereClass(classes); }
        if (limit is int l) train = train.Take(l);
        if (testLimit is int tl) test = test.Take(tl);
        if (r.GetValue(Normalize))
        {
            var norm = ChannelNormalizer.Fit(train);
            train = norm.Transform(train); test = norm.Transform(test);
        }
        double shift = r.GetValue(LabelShift);
        var shape = new ImageShape(train.Height, train.Width, train.Channels);
        return new Split(train.Pixels, train.OneHot(shift), test.Pixels, Preprocessing.OneHot(test.Labels, train.ClassCount, shift), shape,
            $"{kind} {train.Count} train / {test.Count} test images of {shape}, {train.ClassCount} classes", train.ClassNames);
    }

    /// <summary>Reads an input file; a 3-D (n, H, W) or 4-D (n, H, W, C) .npy array gives its image shape, else --image-shape.</summary>
    public (Matrix X, ImageShape? Shape) ReadInputs(ParseResult r, string path, CsvReadOptions csv)
    {
        MemoryBudgetValue(r);   // a bad --memory-budget is refused before any reading
        ImageShape? shape = null;
        Matrix x;
        if (MatrixFile.FormatOf(path) == MatrixFileFormat.Npy)
        {
            var a = Npy.Read(path);
            x = a.Values;
            if (a.Rank is 3 or 4) shape = new ImageShape(a.Shape[1], a.Shape[2], a.Rank == 4 ? a.Shape[3] : 1);
        }
        else x = MatrixFile.Read(path, csv);
        if (x.Rows == 0 || x.Cols == 0)
            throw new DataFormatException(path, $"it holds no {(x.Rows == 0 ? "samples" : "features")} (a {x.Rows}×{x.Cols} matrix); give at least one row with at least one value.");
        if (r.GetValue(ImageShapeOption) is { } text)
        {
            var given = ImageShape.Parse(text);
            if (shape is { } s && s != given) throw new ArgumentException($"--image-shape {given} disagrees with the shape {s} of '{path}'.");
            if (given.Features != x.Cols) throw new ArgumentException($"--image-shape {given} has {given.Features} features but '{path}' has {x.Cols} columns.");
            shape = given;
        }
        return (x, shape);
    }

    /// <summary>Applies --normalize (fitted on <paramref name="train"/>) to image matrices.</summary>
    public (Matrix Train, Matrix? Other) NormalizeIfAsked(ParseResult r, Matrix train, Matrix? other, ImageShape? shape)
    {
        if (!r.GetValue(Normalize)) return (train, other);
        if (shape is not { } s) throw new ArgumentException("--normalize needs image inputs: a 4-D .npy file or --image-shape.");
        var norm = ChannelNormalizer.Fit(new ImageSet(s.Height, s.Width, s.Channels, train, new int[train.Rows]));
        Matrix T(Matrix m) => norm.Transform(new ImageSet(s.Height, s.Width, s.Channels, m, new int[m.Rows])).Pixels;
        return (T(train), other is null ? null : T(other));
    }

    private static int[]? ParseClasses(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var c = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out c[i]))
                throw new CliError($"--classes: '{parts[i]}' is not a class index (a whole number ≥ 0).", "give two or more comma-separated indices, e.g. --classes 3,5.");
        if (c.Length < 2) throw new CliError($"--classes needs at least two classes, not '{text}'.", "e.g. --classes 0,1 (CIFAR-2 of Arora et al. 2019).");
        if (c.Distinct().Count() != c.Length) throw new CliError($"--classes lists a class twice in '{text}'; give each class once.");
        return c;
    }

    private static string FindIdx(string dir, string stem)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--images: the folder '{dir}' does not exist.");
        foreach (var name in new[] { stem, stem + ".gz", stem.Replace("-idx", ".idx", StringComparison.Ordinal), stem.Replace("-idx", ".idx", StringComparison.Ordinal) + ".gz" })
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"--images: '{dir}' has no {stem} (or {stem}.gz). Expected the four MNIST files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (gzipped or not).");
    }
}
