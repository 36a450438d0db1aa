using System.CommandLine;
using System.Globalization;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Experiments;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// `tangent complete` (docs/COMPLETION.md): a matrix with missing entries (NaN or empty cells, or a --mask beside it) or an
/// image with a mask, completed by the NTK/NNGP of an infinite-width network (Radhakrishnan et al. 2022) or by soft-impute,
/// written in the input's format; optionally a report folder with before/after pictures.
/// </summary>
internal static class CompleteCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("complete", "Fill the missing entries of a matrix (--matrix) or the missing pixels of an image (--image, --mask) by neural-kernel regression (NTK/NNGP) or soft-impute.");
        var matrix = new Option<FileInfo?>("--matrix") { Description = "The matrix (.csv/.tsv/.txt, optionally .gz, or .npy): missing entries are empty cells, NaN or NA, or 0 in --mask." };
        var image = new Option<FileInfo?>("--image") { Description = "An image (.npy of shape (H, W) or (H, W, C)): missing values are NaN, or 0 in --mask." };
        var mask = new Option<FileInfo?>("--mask") { Description = "1 = observed, 0 = missing (.csv or .npy): the matrix's shape, or the image's H×W (per pixel) or H×W×C (per value)." };
        var method = new Option<string>("--method") { Description = "ntk (default), nngp or soft-impute.", DefaultValueFactory = _ => "ntk" };
        var arch = new Option<string?>("--arch") { Description = $"The network (docs/LAYERS.md). Matrix: default \"{NeuralMatrixCompletion.PaperArchitecture}\" (the paper's); image: conv, pooling and activations only, default \"{ImageInpainting.DefaultArchitecture}\"." };
        var prior = new Option<string>("--prior") { Description = "Matrix: what describes each sample to the kernel: observed (its own observed values, default), identity (one-hot) or features (--features).", DefaultValueFactory = _ => "observed" };
        var features = new Option<FileInfo?>("--features") { Description = "With --prior features: side features, one row per sample (.csv or .npy)." };
        var samples = new Option<string>("--samples") { Description = "Matrix: columns (default; each row is regressed over the columns) or rows.", DefaultValueFactory = _ => "columns" };
        var iterations = CliOptions.Int("--iterations", "Matrix, --prior observed: passes, each feeding the completion back as the features (1 = the paper's method).", 1, 1, 1000);
        var ridge = CliOptions.Number("--ridge", "Ridge λ ≥ 0 added to the kernel between observed entries (default 0: they are interpolated).", 0.0, NumberRange.NonNegative);
        var relative = new Option<bool>("--ridge-relative") { Description = "λ is relative to the mean diagonal of that kernel." };
        var rho = CliOptions.Number("--input-correlation", "Image: correlation ρ in [0, 1) between two pixels of the network's noise input (default 0).", 0.0, new NumberRange(0, Max: 0.999999));
        var lambda = CliOptions.OptionalNumber("--lambda", "soft-impute: a fixed threshold λ ≥ 0 (default: chosen on 10 % of the observed entries held out).", NumberRange.NonNegative);
        var seed = CliOptions.Seed();
        var outFile = new Option<FileInfo>("--out") { Description = "The completed matrix or image, in the input's format (.csv or .npy; .npy for an image).", Required = true };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Also write a report folder: README.md with before/after pictures (PNG) and the settings." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { matrix, image, mask, method, arch, prior, features, samples, iterations, ridge, relative, rho, lambda, seed, outFile, report, provider })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            // Every option is checked before the work, the outputs are written last (docs/RELIABILITY.md).
            var outputs = new OutputPlan();
            string how = (r.GetValue(method) ?? "").Trim().ToLowerInvariant();
            if (how is not ("ntk" or "nngp" or "soft-impute"))
                throw new CliError($"--method must be ntk, nngp or soft-impute, not '{r.GetValue(method)}'.");
            bool isImage = r.GetValue(image) is not null;
            if (isImage == (r.GetValue(matrix) is not null))
                throw new CliError(isImage ? "give either --matrix or --image, not both." : "give the data to complete: --matrix FILE or --image FILE.");
            var input = (isImage ? r.GetValue(image) : r.GetValue(matrix))!;
            string inputOption = isImage ? "--image" : "--matrix";
            string outPath = outputs.Declare("--out", r.GetValue(outFile)!);
            var inFormat = Format(inputOption, input);
            if (MatrixFile.FormatOf(outPath) != inFormat)
                throw new CliError($"--out '{r.GetValue(outFile)}' is {Name(MatrixFile.FormatOf(outPath))} but {inputOption} '{input}' is {Name(inFormat)}; the completed data are written in the input's format.",
                    $"end --out in {(inFormat == MatrixFileFormat.Npy ? ".npy" : ".csv")}.");
            string? reportDir = r.GetValue(report)?.FullName;
            if (reportDir is not null) Report.EnsureWritable(reportDir);
            if (how == "soft-impute")
                RefuseGiven(r, "--method soft-impute", ("--arch", arch), ("--ridge", ridge), ("--ridge-relative", relative), ("--prior", prior), ("--features", features),
                    ("--iterations", iterations), ("--samples", samples), ("--input-correlation", rho));
            else RefuseGiven(r, $"--method {how}", ("--lambda", lambda));
            if (isImage) RefuseGiven(r, "--image", ("--prior", prior), ("--features", features), ("--iterations", iterations), ("--samples", samples));
            else RefuseGiven(r, "--matrix", ("--input-correlation", rho));
            var get = how == "nngp" ? KernelOutputs.Nngp : KernelOutputs.Ntk;
            var ridgeValue = r.GetValue(relative) ? Ridge.Relative(r.GetValue(ridge)) : Ridge.Absolute(r.GetValue(ridge));
            var compute = CommonOptions.ComputeOptionsFrom(r, provider, null);
            var soft = new SoftImpute { Lambda = r.GetValue(lambda), Seed = r.GetValue(seed) };

            if (isImage)
            {
                var (shape, pixels) = Read(inputOption, input, IncompleteMatrixFile.ReadImage);
                var data = Wrap(inputOption, input, () => r.GetValue(mask) is { } mf
                    ? new IncompleteImage(shape, pixels, Read("--mask", mf, p => MatrixFile.Read(p)).Data)
                    : IncompleteImage.FromNaN(shape, pixels));
                string archText = r.GetValue(arch) ?? ImageInpainting.DefaultArchitecture;
                var inpainting = how == "soft-impute" ? null
                    : new ImageInpainting(ParseArch(archText)) { Get = get, Ridge = ridgeValue, InputCorrelation = r.GetValue(rho) };
                var result = CliProgress.Run($"complete {shape}", p => inpainting is null
                    ? InpaintingResult.FromChannels(data, [.. Enumerable.Range(0, shape.Channels).Select(c => Wrap(inputOption, input, () => soft.Complete(data.Channel(c), compute).Completed))], "soft-impute")
                    : Wrap(inputOption, input, () => inpainting.Inpaint(data, compute with { Progress = p })));
                var values = result.Pixels;
                if (Array.FindIndex(values, v => !double.IsFinite(v)) is int bad and >= 0)
                    throw new CliError($"--out: the inpainted value at {Where(shape, bad)} is not finite; nothing was written.", "add a ridge (--ridge 1e-6 --ridge-relative) or scale the image to [0, 1].");
                var m = new Matrix(shape.Height, shape.Width * shape.Channels, values);
                int[] npyShape = shape.Channels == 1 && NpyRank(input) == 2 ? [shape.Height, shape.Width] : [shape.Height, shape.Width, shape.Channels];
                outputs.AddFile("--out", outPath, $"inpainted image {Npy.FormatShape(npyShape)}", p => Npy.Write(p, m, NpyElementType.Float64, npyShape));
                output.WriteLine($"inpainted {data.MissingCount} of {shape.Features} values of a {shape} image by {result.Method}");
                outputs.WriteAll(output);
                if (reportDir is not null)
                    SaveReport(output, r, reportDir, shape, data.ZeroFilled(), Enumerable.Range(0, shape.Features).Select(k => !data.IsObserved(k)).ToArray(), values, result.Method);
            }
            else
            {
                var values = Read(inputOption, input, IncompleteMatrixFile.Read);
                var data = Wrap(inputOption, input, () => r.GetValue(mask) is { } mf
                    ? new IncompleteMatrix(values, Read("--mask", mf, p => MatrixFile.Read(p)))
                    : IncompleteMatrix.FromNaN(values));
                Matrix? side = r.GetValue(features) is { } ff ? Read("--features", ff, p => MatrixFile.Read(p)) : null;
                var priorValue = ParsePrior(r.GetValue(prior));
                if (priorValue == CompletionPrior.Features && side is null) throw new CliError("--prior features needs --features FILE (one row of side features per sample).");
                if (priorValue != CompletionPrior.Features && side is not null) throw new CliError("--features needs --prior features.");
                CompletionResult result;
                if (how == "soft-impute")
                    result = CliProgress.Run($"soft-impute {data.Shape}", _ => Wrap(inputOption, input, () => soft.Complete(data, compute)));
                else
                {
                    var completion = new NeuralMatrixCompletion(new NeuralKernel(ParseArch(r.GetValue(arch) ?? NeuralMatrixCompletion.PaperArchitecture), get))
                    {
                        Ridge = ridgeValue, Prior = priorValue, Iterations = r.GetValue(iterations), Samples = ParseSamples(r.GetValue(samples)),
                    };
                    result = CliProgress.Run($"complete {data.Shape}", p => Wrap(inputOption, input, () => completion.Complete(data, side, compute with { Progress = p })));
                }
                var completed = result.Completed;
                outputs.AddMatrix("--out", outPath, completed, "completed matrix", "add a ridge (--ridge 1e-6 --ridge-relative), or scale the matrix's values down.");
                output.WriteLine($"completed {data.MissingCount} of {data.Rows * data.Cols} entries of a {data.Shape} matrix ({data.ObservedFraction.ToString("P0", CultureInfo.InvariantCulture)} observed) by {result.Method}");
                outputs.WriteAll(output);
                if (reportDir is not null)
                    SaveReport(output, r, reportDir, new ImageShape(data.Rows, data.Cols, 1), data.ZeroFilled().Data,
                        Enumerable.Range(0, data.Rows * data.Cols).Select(k => !data.IsObserved(k / data.Cols, k % data.Cols)).ToArray(), completed.Data, result.Method);
            }
            return TangentCli.Ok;
        });
        return cmd;
    }

    /// <summary>The options and work of `tangent experiment completion` (registered by <see cref="ExperimentCommand"/>).</summary>
    public static Func<Command, Option<int>, object?, Action<ParseResult, Report>> Experiment(TextWriter output) => (c, seed, add) =>
    {
        var size = CliOptions.Int("--size", "Rows and columns of the synthetic matrices, 4 to 2000.", 100, 4, 2000);
        var ranks = new Option<string>("--ranks") { Description = "Comma-separated ranks of the matrices.", DefaultValueFactory = _ => "3,10" };
        var noise = CliOptions.Number("--noise", "Standard deviation of noise on the observed matrix entries (default 0).", 0.0, NumberRange.NonNegative);
        var imageSize = CliOptions.Int("--image-size", "Side of the square test images, even, 4 to 64 (the pixel kernel holds (side²)² numbers).", 32, 4, 64);
        c.Options.Add(size); c.Options.Add(ranks); c.Options.Add(noise); c.Options.Add(imageSize);
        return (r, report) =>
        {
            var parsedRanks = (r.GetValue(ranks) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) && k >= 1 && k <= r.GetValue(size) ? k
                    : throw new CliError($"--ranks: '{t}' is not a rank from 1 to --size {r.GetValue(size)}.", "e.g. --ranks 3,10")).ToArray();
            if (parsedRanks.Length == 0) throw new CliError("--ranks is empty.", "e.g. --ranks 3,10");
            if (r.GetValue(imageSize) % 2 != 0) throw new CliError($"--image-size {r.GetValue(imageSize)} is odd; the digit montage needs an even side.", "e.g. --image-size 32");
            var s = new CompletionSettings { Size = r.GetValue(size), Ranks = parsedRanks, Noise = r.GetValue(noise), ImageSize = r.GetValue(imageSize), Seed = r.GetValue(seed) };
            var res = CliProgress.Run("completion", p => CompletionExperiment.Run(s, p, TangentCli.Cancellation));
            CompletionExperiment.AddTo(report, res, s);
            foreach (var p in res.Matrices)
                output.WriteLine($"rank {p.Rank,2}, {Report.Num(100 * p.Fraction),3} % observed: RMSE NTK {Report.Num(p.NtkRmse)}, NTK ×{s.Iterations} {Report.Num(p.IteratedRmse)}, soft-impute {Report.Num(p.SoftImputeRmse)}");
            foreach (var p in res.Images)
                output.WriteLine($"{p.Image}, {Report.Num(100 * p.Fraction),3} % observed: PSNR CNTK {Report.Num(p.CntkPsnr)} dB, soft-impute {Report.Num(p.SoftImputePsnr)} dB");
        };
    };

    private static void SaveReport(TextWriter output, ParseResult r, string dir, ImageShape shape, double[] input, bool[] missing, double[] completed, string method)
    {
        var observed = input.Where((_, k) => !missing[k]).ToArray();
        double lo = observed.Min(), hi = observed.Max();
        var report = new Report("Tangent: completion");
        report.Paragraph($"{missing.Count(m => m)} of {missing.Length} values missing (red on the left), completed by {method}. Grey levels span the observed values, {Report.Num(lo)} (black) to {Report.Num(hi)} (white).");
        report.Image("before-after.png", CompletionPanels.Render(shape, [("input", input, missing), ("completed", completed, null)], lo, hi), "before and after");
        report.Setting("command", CommonOptions.CommandLine(r));
        output.WriteLine($"report: {report.Save(dir)}");
    }

    private static MatrixFileFormat Format(string option, FileInfo file)
    {
        try { return MatrixFile.FormatOf(file.FullName); }
        catch (DataFormatException) { throw new CliError($"{option} '{file}': '{Path.GetExtension(file.Name)}' is not a format this command reads.", "give a .csv, .tsv, .txt or .npy file (optionally .gz)."); }
    }

    private static string Name(MatrixFileFormat f) => f == MatrixFileFormat.Npy ? "a .npy file" : "a text file";

    private static int NpyRank(FileInfo file) => Npy.Read(file.FullName, allowNonFinite: true).Rank;

    private static T Read<T>(string option, FileInfo file, Func<string, T> read)
    {
        if (!file.Exists) throw new CliError($"{option} '{file}' does not exist.", "check the path.");
        try { return read(file.FullName); }
        catch (DataFormatException e) { throw new CliError($"{option}: {TangentCli.Message(e)}"); }
    }

    /// <summary>Runs <paramref name="work"/>, prefixing the library's input errors with the option and file they concern.</summary>
    private static T Wrap<T>(string option, FileInfo file, Func<T> work)
    {
        try { return work(); }
        catch (ArgumentException e) when (e is not ArgumentOutOfRangeException) { throw new CliError($"{option} '{file}': {TangentCli.Message(e)}"); }
    }

    private static void RefuseGiven(ParseResult r, string what, params (string Name, Option Option)[] options)
    {
        foreach (var (name, option) in options)
            if (r.GetResult(option) is { Implicit: false })
                throw new CliError($"{name} does not apply to {what}; drop it.");
    }

    private static Architecture ParseArch(string text)
    {
        try { return Architecture.Parse(text); }
        catch (FormatException e) { throw new CliError($"--arch: {TangentCli.Message(e)}"); }
    }

    private static CompletionPrior ParsePrior(string? text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "observed" => CompletionPrior.Observed,
        "identity" => CompletionPrior.Identity,
        "features" => CompletionPrior.Features,
        _ => throw new CliError($"--prior must be observed, identity or features, not '{text}'."),
    };

    private static CompletionAxis ParseSamples(string? text) => (text ?? "").Trim().ToLowerInvariant() switch
    {
        "columns" => CompletionAxis.Columns,
        "rows" => CompletionAxis.Rows,
        _ => throw new CliError($"--samples must be columns or rows, not '{text}'."),
    };

    private static string Where(ImageShape shape, int k)
    {
        int c = k % shape.Channels, p = k / shape.Channels;
        return $"row {p / shape.Width + 1}, column {p % shape.Width + 1}" + (shape.Channels > 1 ? $", channel {c + 1}" : "");
    }
}
