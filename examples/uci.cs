#:project ../src/Tangent/Tangent.csproj
#:project ../src/Tangent.Experiments/Tangent.Experiments.csproj

// The UCI-90 protocol of Arora et al. 2020 (docs/UCI.md) on one small data set: hyperparameters selected on the
// conxuntos.dat split, accuracy averaged over the 4 test folds of conxuntos_kfold.dat.
//   dotnet run examples/uci.cs [PATH-TO-uci90.txz-OR-ITS-FOLDER] [SET]
// Without a path it looks for ../shared/data/uci90.txz beside the repository; without data it says so and exits 0.

using System.Diagnostics;
using Tangent.Data;
using Tangent.Experiments;

string? path = args.Length > 0 ? args[0] : DefaultData();
string name = args.Length > 1 ? args[1] : "iris";
if (path is null || !(File.Exists(path) || Directory.Exists(path)))
{
    Console.WriteLine($"skipped: no UCI-90 data ({path ?? "../shared/data/uci90.txz not found"}); give the path of uci90.txz or of the folder it extracts to.");
    Console.WriteLine("ok: skipped (no data)");
    return 0;
}

var clock = Stopwatch.StartNew();
using var data = UciDataFolder.Open(path);   // an archive is extracted into a temporary folder, deleted at the end
var set = Uci90.Load(data.Root, name);
Console.WriteLine($"{set.Name}: {set.Count} rows, {set.Features} features, {set.ClassCount} classes");
var methods = UciMethods.Parse(UciMethods.Names);
var result = UciBenchmark.RunSet(set, methods);
foreach (var m in result.Methods)
    Console.WriteLine($"{m.Method,-13} {100 * m.TestAccuracy,6:F2} % over the 4 folds (validation {100 * m.ValidationAccuracy:F2} %, chose {m.Choice})");
var best = result.Methods.MaxBy(m => m.TestAccuracy)!;
Console.WriteLine($"ok: {set.Name} {best.Method} {100 * best.TestAccuracy:F2} % in {clock.Elapsed.TotalSeconds:F1} s");
return 0;

static string? DefaultData()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (!File.Exists(Path.Combine(dir.FullName, "Tangent.sln"))) continue;
        string? parent = dir.Parent?.FullName;
        return parent is null ? null : Path.Combine(parent, "shared", "data", "uci90.txz");
    }
    return null;
}
