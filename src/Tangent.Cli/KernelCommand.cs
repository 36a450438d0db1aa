using System.CommandLine;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent kernel`: writes K(X1, X2).</summary>
internal static class KernelCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("kernel", "Compute a kernel matrix K(X1, X2) and write it to a .csv or .npy file, or chunk by chunk to a resumable .zarr store (docs/STORE.md).");
        var kernel = new KernelOptions(allowNone: false);
        kernel.AddTo(cmd);
        var x1 = new Option<FileInfo?>("--x1") { Description = "Inputs X1 (.csv numbers only, or .npy; a 4-D .npy (n,H,W,C) holds images), one row per sample. Or use --data or --images." };
        var x2 = new Option<FileInfo?>("--x2") { Description = "Inputs X2 (default: X1, the symmetric case); with --data, --test-data." };
        var outFile = new Option<FileInfo>("--out") { Description = "Output file (.csv or .npy, by extension), or a kernel store: a folder ending in .zarr (resumable, --chunk, --shard).", Required = true };
        var dtype = new Option<string>("--dtype")
        {
            Description = "float64 (default) or float32: write a .npy or .zarr output in float32 (half the size) and compute in float32 where it is safe: a dense network's input Gram X1·X2ᵀ (its layers stay float64), a convolutional network's pixel-pair states (self pass and diagonal in float64); the accuracy per layer type is in docs/PRECISION.md.",
            DefaultValueFactory = _ => "float64",
        };
        var f32 = new Option<bool>("--float32") { Description = "The old name of --dtype float32.", Hidden = true };
        var table = new DataOptions(split: false);
        var provider = CommonOptions.Provider();
        var images = new ImageInputs();
        var split = new Option<string>("--split") { Description = "With --images: train (K(train, train)), test (K(test, test)) or train-test (K(train, test)).", DefaultValueFactory = _ => "train" };
        var store = new StoreCommand.Options();
        var cluster = new ClusterOptions();
        foreach (var o in new Option[] { x1, x2, outFile, dtype, f32, provider, split }) cmd.Options.Add(o);
        store.AddTo(cmd);
        cluster.AddTo(cmd);
        table.AddTo(cmd);
        images.AddTo(cmd, withLabels: false);
        cmd.SetAction(r =>
        {
            // Everything is checked before the work, and the output is written last (docs/RELIABILITY.md).
            var outputs = new OutputPlan();
            bool toStore = KernelStore.IsStorePath(r.GetValue(outFile)!.FullName);
            if (!toStore) store.RefuseWithoutStore(r);
            var precision = Dtype(r, dtype, f32);
            var onCluster = cluster.Parse(r, toStore);
            if (onCluster is not null && precision == Precision.Float32)
                throw new CliError("--cluster computes float64 kernels; --dtype float32 is not supported on a cluster yet.", "drop --dtype, or compute the float32 store on one machine (with --shard i/N for several jobs).");
            string path = toStore ? r.GetValue(outFile)!.ToString() : outputs.Declare("--out", r.GetValue(outFile)!);
            if (precision == Precision.Float32 && !toStore && MatrixFile.FormatOf(path) != MatrixFileFormat.Npy)
                throw new CliError($"--dtype float32 applies to a .npy or .zarr output, not '{r.GetValue(outFile)}' (text holds float64); end --out in .npy or .zarr, or drop --dtype.");
            kernel.Validate(r);
            var compute = CommonOptions.ComputeOptionsFrom(r, provider, images) with { Precision = precision };
            table.RefuseMixed(r, "--x1/--x2 or --images", x1, x2, images.Images, split);
            Matrix a;
            Matrix? b;
            Layers.ImageShape? shape = null;
            if (table.Given(r))
            {
                images.Load(r);   // checks that no image-only option was given
                var set = table.Load(r, needTest: false, needTarget: false);
                set.PrintWarnings(output);
                (a, b) = (set.Train.X, set.Test?.X);
            }
            else (a, b, shape) = Inputs(r, images, x1, x2, split, table.Csv(r));
            if (r.GetValue(table.Standardize))
            {
                var (fitted, z) = new Standardizer().FitTransform(a);
                a = z;
                if (b is not null) b = fitted.Transform(b);
            }
            var k = kernel.Resolve(r, a.Cols, shape)!;
            if (toStore)
            {
                using var run = onCluster is null ? null : ClusterOptions.Connect(onCluster, k);
                store.Write(r, output, path, k, precision, r.GetValue(kernel.Arch) is null ? "classical" : KernelOptions.ParseGet(r.GetValue(kernel.Get)).ToString().ToLowerInvariant(), a, b, compute, run?.Fill(k, a, b));
                return TangentCli.Ok;
            }
            var m = CliProgress.Run($"kernel {a.Rows}×{(b ?? a).Rows}", p => k.Compute(a, b, compute with { Progress = p }));
            outputs.AddMatrix("--out", path, m, $"{k.Describe()} kernel", KernelFix, precision == Precision.Float32 ? NpyElementType.Float32 : NpyElementType.Float64);
            outputs.WriteAll(output);
            return TangentCli.Ok;
        });
        return cmd;
    }

    /// <summary>The precision of --dtype, or of its old name --float32.</summary>
    private static Precision Dtype(ParseResult r, Option<string> dtype, Option<bool> f32)
    {
        Precision p;
        try { p = KernelStore.ParseDtype(r.GetValue(dtype) ?? ""); }
        catch (FormatException e) { throw new CliError("--dtype: " + e.Message); }
        if (!r.GetValue(f32)) return p;
        if (r.GetResult(dtype) is { Implicit: false } && p != Precision.Float32)
            throw new CliError("--float32 (the old name of --dtype float32) contradicts --dtype float64; give one of them.");
        return Precision.Float32;
    }

    /// <summary>The hint for a kernel matrix that overflowed.</summary>
    internal const string KernelFix = "the kernel overflowed: scale the inputs (e.g. to unit variance), or lower --gamma, --degree or the σw of --arch.";

    private static (Matrix A, Matrix? B, Layers.ImageShape? Shape) Inputs(ParseResult r, ImageInputs images, Option<FileInfo?> x1, Option<FileInfo?> x2,
        Option<string> split, CsvReadOptions csv)
    {
        string which = (r.GetValue(split) ?? "").Trim().ToLowerInvariant();
        if (which is not ("train" or "test" or "train-test"))
            throw new CliError($"--split must be train, test or train-test, not '{r.GetValue(split)}'.");
        if (r.GetValue(images.Images) is not null)
        {
            if (r.GetValue(x1) is not null || r.GetValue(x2) is not null) throw new CliError("give either --images or --x1/--x2, not both.");
            var set = images.Load(r)!;
            return which switch
            {
                "train" => (set.XTrain, null, set.Shape),
                "test" => (set.XTest, null, set.Shape),
                _ => (set.XTrain, set.XTest, set.Shape),
            };
        }
        if (r.GetResult(split) is { Implicit: false }) throw new CliError("--split applies only to an image data set given with --images KIND:PATH.");
        images.Load(r);   // checks that no image-only option was given
        var f1 = r.GetValue(x1) ?? throw new CliError("give the inputs: --x1 FILE (and optionally --x2 FILE), or --images KIND:PATH.");
        var (a, shape) = images.ReadInputs(r, f1.FullName, csv);
        Matrix? b = null;
        if (r.GetValue(x2) is { } f)
        {
            (b, var shape2) = images.ReadInputs(r, f.FullName, csv);
            if (b.Cols != a.Cols)
                throw new CliError($"--x1 has {a.Cols} columns but --x2 has {b.Cols}; both need the same features.");
            if (shape2 != shape) throw new CliError($"--x1 holds images of {shape} but --x2 of {shape2}; use the same image shape.");
        }
        (a, b) = images.NormalizeIfAsked(r, a, b, shape);
        return (a, b, shape);
    }
}
