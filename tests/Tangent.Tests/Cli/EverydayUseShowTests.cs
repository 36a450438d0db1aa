using System.Globalization;
using System.Text.RegularExpressions;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

/// <summary>
/// The everyday-use claim (docs/USER-GUIDE.md): from a CSV with a label column, one `tangent fit` command
/// gives a selected, saved model whose test accuracy (or R²) is within one point of scikit-learn's best
/// SVC (or KernelRidge) found by GridSearchCV on the same training rows, scored on the same test rows.
/// Skipped where python3 with scikit-learn is absent.
/// </summary>
[Trait("Category", "Slow")]
public partial class EverydayUseShowTests
{
    private const string Arch = "dense(w=1.41,b=0.1) relu dense(w=1.41,b=0.1)";

    [SkippableTheory]
    [InlineData("breast-cancer", "label")]
    [InlineData("digits", "label")]
    [InlineData("diabetes", "progression")]
    public void OneFitCommandMatchesScikitLearnsGridSearch(string set, string target)
    {
        Skip.If(Python.WithSklearn is null, Python.SkipMessage);
        var dir = Directory.CreateTempSubdirectory("tangent-show-");
        try
        {
            string csv = Path.Combine(dir.FullName, set + ".csv"), model = Path.Combine(dir.FullName, set + ".tgm");
            Assert.Equal(0, CliRunner.Run("dataset", set, "--out", csv).Code);
            bool regression = set == "diabetes";
            var args = new List<string> { "fit", "--data", csv, "--target", target, "--test-fraction", "0.25", "--seed", "0", "--standardize",
                "--arch", Arch, "--select", "cv:5", "--save", model };
            if (regression) args.Add("--standardize-target");
            var (code, output, err) = CliRunner.Run([.. args]);
            Assert.True(code == 0, err);
            Assert.True(File.Exists(model));
            double ours = regression
                ? double.Parse(RSquared().Match(output).Groups[1].Value, CultureInfo.InvariantCulture)
                : double.Parse(Accuracy().Match(output).Groups[1].Value, CultureInfo.InvariantCulture) / 100;

            // The same rows as the command: the library's split with the same fraction, seed and stratification.
            var data = LabeledTable.Load(csv, new LabeledTableOptions { Target = [target] }).Data;
            var (train, test) = LabeledTable.Split(data, 0.25, 0, stratify: !regression);
            var theirs = Python.Evaluate(regression ? KernelRidgeScript : SvcScript,
                Python.Encode(("xtr", train.X), ("ytr", Targets(train)), ("xte", test.X), ("yte", Targets(test))))[0, 0];
            Assert.True(ours >= theirs - 0.01, $"{set}: Tangent {ours:F4} against scikit-learn's best {theirs:F4} ({output})");
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>Class indices for classification, the target column for regression.</summary>
    private static Matrix Targets(LabeledData d) => d.Labels is { } labels
        ? new Matrix(d.Count, 1, labels.Indices(d.RawLabels!).Select(i => (double)i).ToArray())
        : d.Y;

    private const string SvcScript = """
        from sklearn.svm import SVC
        from sklearn.preprocessing import StandardScaler
        from sklearn.pipeline import make_pipeline
        from sklearn.model_selection import GridSearchCV
        grid = {'svc__C': [0.1, 1, 10, 100, 1000], 'svc__gamma': ['scale', 1e-4, 1e-3, 1e-2, 1e-1]}
        g = GridSearchCV(make_pipeline(StandardScaler(), SVC()), grid, cv=5).fit(M['xtr'], M['ytr'].ravel())
        emit([[g.score(M['xte'], M['yte'].ravel())]])
        """;

    private const string KernelRidgeScript = """
        from sklearn.kernel_ridge import KernelRidge
        from sklearn.preprocessing import StandardScaler
        from sklearn.pipeline import make_pipeline
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.model_selection import GridSearchCV
        grid = {'regressor__kernelridge__alpha': [1e-3, 1e-2, 1e-1, 1, 10], 'regressor__kernelridge__gamma': [1e-3, 1e-2, 3e-2, 1e-1, 3e-1]}
        model = TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), KernelRidge(kernel='rbf')), transformer=StandardScaler())
        g = GridSearchCV(model, grid, cv=5, scoring='r2').fit(M['xtr'], M['ytr'])
        emit([[g.score(M['xte'], M['yte'])]])
        """;

    [GeneratedRegex(@"accuracy ([0-9.]+) %")]
    private static partial Regex Accuracy();

    [GeneratedRegex(@"R² (-?[0-9.]+)")]
    private static partial Regex RSquared();
}
