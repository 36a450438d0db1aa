using System.CommandLine;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent kernel`: writes K(X1, X2).</summary>
internal static class KernelCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("kernel", "Compute a kernel matrix K(X1, X2) and write it to a .csv or .npy file.");
        var kernel = new KernelOptions(allowNone: false);
        kernel.AddTo(cmd);
        var x1 = new Option<FileInfo>("--x1") { Description = "Inputs X1 (.csv numbers only, or .npy), one row per sample.", Required = true };
        var x2 = new Option<FileInfo?>("--x2") { Description = "Inputs X2 (default: X1, the symmetric case)." };
        var outFile = new Option<FileInfo>("--out") { Description = "Output file (.csv or .npy, by extension).", Required = true };
        var f32 = new Option<bool>("--float32") { Description = "Store a .npy output as float32 (half the size)." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { x1, x2, outFile, f32, provider }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var a = MatrixFile.Read(r.GetValue(x1)!.FullName);
            Matrix? b = r.GetValue(x2) is { } f ? MatrixFile.Read(f.FullName) : null;
            if (b is not null && b.Cols != a.Cols)
                throw new ArgumentException($"--x1 has {a.Cols} columns but --x2 has {b.Cols}; both need the same features.");
            var k = kernel.Resolve(r, a.Cols)!;
            var m = CliProgress.Run($"kernel {a.Rows}×{(b ?? a).Rows}", p => k.Compute(a, b, p));
            string path = r.GetValue(outFile)!.FullName;
            MatrixFile.Write(path, m, r.GetValue(f32) ? NpyElementType.Float32 : NpyElementType.Float64);
            output.WriteLine($"wrote {k.Describe()} kernel {m.Shape} to {path}");
            return TangentCli.Ok;
        });
        return cmd;
    }
}
