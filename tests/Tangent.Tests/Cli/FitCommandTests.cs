using Tangent.Data;

namespace Tangent.Tests.Cli;

/// <summary>`tangent fit` and `tangent predict --model` (docs/USER-GUIDE.md).</summary>
public sealed class FitCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tangent-fit-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string Dataset(string name)
    {
        string csv = PathOf(name + ".csv");
        Assert.Equal(0, CliRunner.Run("dataset", name, "--out", csv).Code);
        return csv;
    }

    [Fact]
    public void ASavedModelPredictsWhatTheFitPredicted()
    {
        string csv = Dataset("wine"), model = PathOf("wine.tgm"), fitOut = PathOf("fit.csv");
        var (code, output, err) = CliRunner.Run("fit", "--data", csv, "--target", "label", "--standardize", "--kernel", "gaussian",
            "--select", "cv:3", "--grid", "gamma=0.01,0.1; relridge=1e-3,1e-1", "--test-fraction", "0.3", "--seed", "4", "--save", model, "--out", fitOut);
        Assert.True(code == 0, err);
        Assert.Contains("selection: 4 settings, accuracy", output);
        Assert.Contains("chosen: gamma=", output);
        Assert.Contains("confusion matrix", output);
        // The test rows again, through the saved model: the same labels, and the same accuracy.
        var test = LabeledTable.Split(LabeledTable.Load(csv, new LabeledTableOptions { Target = ["label"] }).Data, 0.3, 4, stratify: true).Test;
        string testCsv = PathOf("test.csv");
        File.WriteAllLines(testCsv, File.ReadAllLines(csv).Take(1).Concat(Enumerable.Range(0, test.Count).Select(i =>
            string.Join(",", test.X.Row(i).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "," + test.RawLabels![i])));
        string predOut = PathOf("pred.csv");
        (code, var again, err) = CliRunner.Run("predict", "--model", model, "--data", testCsv, "--out", predOut);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllLines(fitOut), File.ReadAllLines(predOut));
        static string accuracy(string text) => System.Text.RegularExpressions.Regex.Match(text, @"accuracy ([0-9.]+) %").Groups[1].Value;
        Assert.NotEmpty(accuracy(output));
        Assert.Equal(accuracy(output), accuracy(again));
    }

    [Fact]
    public void TheEvidenceTunesTheNoiseAndReportsCalibration()
    {
        string csv = Dataset("diabetes");
        var (code, output, err) = CliRunner.Run("fit", "--data", csv, "--target", "progression", "--standardize", "--standardize-target",
            "--kernel", "gaussian", "--select", "evidence", "--grid", "gamma=0.01,0.1; relridge=1e-2,1");
        Assert.True(code == 0, err);
        Assert.Contains("log marginal likelihood", output);
        Assert.Contains("evidence maximized", output);
        Assert.Contains("R²", output);
        Assert.Contains("within ±1.96σ", output);
    }

    [Theory]
    [InlineData("--save|m.model", "a model file ends in .tgm")]
    [InlineData("--grid|relridge=1", "--grid needs --select")]
    [InlineData("--select|cv:1", "--select")]
    [InlineData("--time|5", "--time applies to a network's kernel")]
    [InlineData("--target|labl", "did you mean 'label'")]
    public void MisuseIsRefusedInOneLineBeforeAnyOutput(string extra, string expected)
    {
        string csv = Dataset("iris");
        var args = new List<string> { "fit", "--data", csv, "--kernel", "gaussian" };
        var parts = extra.Split('|');
        if (parts[0] != "--target") args.AddRange(["--target", "label"]);
        args.AddRange(parts[0] == "--save" ? ["--save", PathOf(parts[1])] : parts);
        var (code, _, err) = CliRunner.Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, CliRunner.AssertErrorForm(err));
        Assert.Empty(_dir.GetFiles("*.tgm"));
    }

    [Fact]
    public void APredictionWithAModelRefusesTheModelOptionsAndMissingColumns()
    {
        string csv = Dataset("iris"), model = PathOf("iris.tgm");
        Assert.Equal(0, CliRunner.Run("fit", "--data", csv, "--target", "label", "--standardize", "--kernel", "gaussian", "--ridge", "0.01", "--save", model).Code);
        var (code, _, err) = CliRunner.Run("predict", "--model", model, "--data", csv, "--out", PathOf("p.csv"), "--arch", "dense");
        Assert.Equal(2, code);
        Assert.Contains("--arch does not apply with --model", err);
        string fewer = PathOf("fewer.csv");
        File.WriteAllLines(fewer, File.ReadAllLines(csv).Select(l => string.Join(",", l.Split(',').Skip(1))));
        (code, _, err) = CliRunner.Run("predict", "--model", model, "--data", fewer, "--out", PathOf("p.csv"));
        Assert.Equal(2, code);
        Assert.Contains("sepal_length", err);
        Assert.False(File.Exists(PathOf("p.csv")));
    }
}
