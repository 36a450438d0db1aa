using System.CommandLine;
using System.Globalization;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// `tangent dataset NAME --out FILE.csv`: writes one of the embedded data sets (docs/DATA.md) as a CSV
/// with a header and its target as the last column (`label` for the classification sets, `progression`
/// for diabetes), the form a user's own table takes — for trying the data options on real data.
/// </summary>
internal static class DatasetCommand
{
    /// <summary>The names the command accepts.</summary>
    public static readonly string[] Names = ["iris", "wine", "breast-cancer", "digits", "diabetes"];

    public static Command Create(TextWriter output)
    {
        var cmd = new Command("dataset", "Write an embedded data set (iris, wine, breast-cancer, digits, diabetes) as a CSV with a header and its target as the last column.");
        var name = new Argument<string>("name") { Description = string.Join(", ", Names) };
        var outFile = new Option<FileInfo>("--out") { Description = "The CSV file to write.", Required = true };
        cmd.Arguments.Add(name);
        cmd.Options.Add(outFile);
        cmd.SetAction(r =>
        {
            string which = r.GetValue(name)!.Trim().ToLowerInvariant().Replace('_', '-');
            if (!Names.Contains(which))
            {
                string? near = Diagnostics.Spelling.Nearest(which, Names);
                throw new CliError($"unknown data set '{which}'; the embedded sets are {string.Join(", ", Names)}.", near is null ? null : $"did you mean '{near}'?");
            }
            var file = r.GetValue(outFile)!;
            var plan = new OutputPlan();
            string path = plan.Declare("--out", file);
            if (!path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
                throw new CliError($"--out '{file}': a data set is written as CSV; end the name in .csv.");
            var (header, rows) = Table(which);
            AtomicFile.WriteText(path, w =>
            {
                w.WriteLine(string.Join(",", header));
                foreach (var row in rows) w.WriteLine(string.Join(",", row));
            });
            output.WriteLine($"wrote {which}: {rows.Count} rows, {header.Count - 1} features and the target '{header[^1]}' to {path}");
            return TangentCli.Ok;
        });
        return cmd;
    }

    /// <summary>The header and the rows (numbers in round-trip form, labels as text) of an embedded set.</summary>
    internal static (IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows) Table(string which)
    {
        if (which == "diabetes")
        {
            var d = EmbeddedData.Diabetes();
            return ([.. EmbeddedData.DiabetesFeatureNames, "progression"], Rows(d.X, i => Num(d.Y[i, 0])));
        }
        var c = which switch
        {
            "iris" => EmbeddedData.Iris(),
            "wine" => EmbeddedData.Wine(),
            "breast-cancer" => EmbeddedData.BreastCancer(),
            _ => EmbeddedData.Digits(),
        };
        return ([.. FeatureNames(which, c.X.Cols), "label"], Rows(c.X, i => c.ClassNames[c.Labels[i]]));
    }

    private static List<string[]> Rows(Matrix x, Func<int, string> target) =>
        Enumerable.Range(0, x.Rows).Select(i => x.Row(i).ToArray().Select(Num).Append(target(i)).ToArray()).ToList();

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static readonly string[] CancerParts = ["mean", "se", "worst"];
    private static readonly string[] CancerFeatures = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave_points", "symmetry", "fractal_dimension"];

    private static IEnumerable<string> FeatureNames(string which, int d) => which switch
    {
        "iris" => ["sepal_length", "sepal_width", "petal_length", "petal_width"],
        "wine" => ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids", "nonflavanoid_phenols",
                   "proanthocyanins", "color_intensity", "hue", "od280_od315", "proline"],
        "breast-cancer" => from part in CancerParts from f in CancerFeatures select $"{part}_{f}",
        _ => Enumerable.Range(0, d).Select(k => $"p{k / 8}_{k % 8}"),
    };
}
