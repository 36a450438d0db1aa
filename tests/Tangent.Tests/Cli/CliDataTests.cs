using System.Globalization;
using Tangent.Data;
using Tangent.Kernels;
using Tangent.Models;

namespace Tangent.Tests.Cli;

/// <summary>The one data model on the command line (docs/DATA.md): --data, --target, --drop, the split, the task and standardization.</summary>
public sealed class CliDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-cli-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>The wine data as a user's CSV: an id column first, the class as text in the middle.</summary>
    private string WriteWine()
    {
        var wine = EmbeddedData.Wine();
        string[] names = ["grignolino", "barolo", "barbera"];
        var lines = new List<string> { "id,alcohol,malic_acid,ash,alcalinity,magnesium,phenols,class,flavanoids,nonflav,proanth,color,hue,od280,proline" };
        for (int i = 0; i < wine.Count; i++)
        {
            var v = wine.X.Row(i).ToArray().Select(x => x.ToString("R", CultureInfo.InvariantCulture)).ToList();
            v.Insert(6, names[wine.Labels[i]]);
            v.Insert(0, (i + 1).ToString(CultureInfo.InvariantCulture));
            lines.Add(string.Join(',', v));
        }
        File.WriteAllLines(P("wine.csv"), lines);
        return P("wine.csv");
    }

    [Fact]
    public void RegressWithAStringTargetPrintsAnAccuracyAndWritesTheLibrarysDecodedLabels()
    {
        string wine = WriteWine();
        var (code, output, err) = CliRunner.Run("regress", "--data", wine, "--target", "class", "--drop", "id", "--standardize", "--test-fraction", "0.3",
            "--kernel", "gaussian", "--ridge", "1e-3", "--out", P("pred.csv"));
        Assert.True(code == 0, err);
        Assert.Contains("classification of 'class' (3 classes: barbera, barolo, grignolino)", output);
        Assert.Contains("test accuracy: ", output);
        Assert.DoesNotContain("warning", output);

        // The same pipeline through the library.
        var data = LabeledTable.Load(wine, new LabeledTableOptions { Target = ["class"], Drop = ["id"] }).Data;
        var (train, test) = LabeledTable.Split(data, 0.3, 0, stratify: true);
        var (fitted, x) = new Standardizer().FitTransform(train.X);
        var scores = new KernelRegression(ClassicalKernel.Gaussian(1.0 / 13)) { Ridge = Tangent.Dynamics.Ridge.Absolute(1e-3) }.Fit(x, train.Y).Predict(fitted.Transform(test.X));
        var expected = train.Labels!.Decode(scores);
        var written = File.ReadAllLines(P("pred.csv"));
        Assert.Equal("class", written[0]);
        Assert.Equal(expected, written[1..]);
        double accuracy = expected.Zip(test.RawLabels!).Count(p => p.First == p.Second) / (double)test.Count;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
        Assert.Contains($"test accuracy: {accuracy:P2} ({test.Count} rows, 3 classes)", output);
    }

    [Fact]
    public void AnIdColumnUsedAsAFeatureIsWarnedAbout()
    {
        string wine = WriteWine();
        var (code, output, err) = CliRunner.Run("regress", "--data", wine, "--target", "8", "--standardize", "--kernel", "linear", "--ridge", "1", "--out", P("p.npy"));
        Assert.True(code == 0, err);
        Assert.Contains("warning: ", output);
        Assert.Contains("column 'id' (column 1) looks like a row id (its values are the row numbers 1..178)", output);
        Assert.Equal((45, 3), (Npy.ReadMatrix(P("p.npy")).Rows, Npy.ReadMatrix(P("p.npy")).Cols));   // default test fraction 0.25, class scores
    }

    [Theory]
    [InlineData("--target", "clas", "there is no target column 'clas' (did you mean 'class'?). The columns are: 'id', 'alcohol'")]
    [InlineData("--target", "99", "target column 99 is out of range: the file has 15 columns, so give a position 1..15")]
    [InlineData("--drop", "alcohl", "there is no drop column 'alcohl' (did you mean 'alcohol'?)")]
    public void ABadColumnExitsTwoWithOneLineNamingTheColumns(string option, string value, string expected)
    {
        string wine = WriteWine();
        string[] args = ["regress", "--data", wine, "--kernel", "linear", "--out", P("p.csv"), option, value];
        if (option != "--target") args = [.. args, "--target", "class"];
        var (code, output, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, CliRunner.AssertErrorForm(err, output));
        Assert.False(File.Exists(P("p.csv")));
    }

    [Fact]
    public void ATextFeatureCellIsRefusedNamingRowColumnAndDrop()
    {
        File.WriteAllText(P("t.csv"), "a,name,y\n1,2,3\n4,bob,6\n7,8,9\n10,11,12\n");
        var (code, output, err) = CliRunner.Run("regress", "--data", P("t.csv"), "--target", "y", "--kernel", "linear", "--out", P("p.csv"));
        Assert.Equal(2, code);
        string line = CliRunner.AssertErrorForm(err, output);
        Assert.Contains("row 3, column 2: 'bob' is not a number", line);
        Assert.Contains("--drop name", line);
    }

    [Theory]
    [InlineData("regress --kernel linear --out p.csv --data D --target class --x-train D", "give either --data (with --target) or --x-train/--y-train/--x-test/--y-test files or --images, not both (--x-train was given with --data)")]
    [InlineData("kernel --kernel linear --out k.npy --data D --x1 D", "give either --data (with --target) or --x1/--x2 or --images, not both (--x1 was given with --data)")]
    [InlineData("regress --kernel linear --out p.csv --x-train D --y-train D --x-test D --target class", "--target applies to a table given with --data")]
    [InlineData("regress --kernel linear --out p.csv --data D --target class --test-data D --test-fraction 0.2", "give either --test-data or --test-fraction, not both")]
    [InlineData("regress --kernel linear --out p.csv --data D", "--target is missing")]
    [InlineData("regress --kernel linear --out p.csv --data D --target class --task sorting", "--task must be regression, classification or auto, not 'sorting'")]
    [InlineData("regress --kernel linear --out p.csv --data D --target class --standardize-target", "--standardize-target applies to regression targets")]
    [InlineData("regress --kernel linear --out p.csv --data D --target class --test-fraction 1", "--test-fraction must be a number > 0 and < 1, not 1")]
    public void MixingFormsOrMisusingTheDataOptionsIsRefusedInOneLine(string command, string expected)
    {
        string wine = WriteWine();
        var args = command.Split(' ').Select(a => a == "D" ? wine : a is "p.csv" or "k.npy" ? P(a) : a).ToArray();
        var (code, output, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, CliRunner.AssertErrorForm(err, output));
    }

    [Fact]
    public void StandardizedTargetsAreFittedOnTrainingDataAndPredictionsMappedBack()
    {
        var rng = new Random(5);
        var lines = new List<string> { "a,b,price" };
        for (int i = 0; i < 40; i++)
        {
            double a = rng.NextDouble() * 10, b = rng.NextDouble();
            lines.Add(FormattableString.Invariant($"{a},{b},{1000 + 300 * Math.Sin(a) + 50 * b}"));
        }
        File.WriteAllLines(P("r.csv"), lines);
        var (code, output, err) = CliRunner.Run("regress", "--data", P("r.csv"), "--target", "price", "--standardize", "--standardize-target",
            "--kernel", "gaussian", "--gamma", "0.5", "--ridge", "1e-2", "--out", P("p.csv"), "--seed", "7");
        Assert.True(code == 0, err);
        Assert.Contains("regression of 'price'", output);
        Assert.Contains("test MSE: ", output);

        var data = LabeledTable.Load(P("r.csv"), new LabeledTableOptions { Target = ["price"] }).Data;
        var (train, test) = LabeledTable.Split(data, 0.25, 7, stratify: false);
        var (fx, x) = new Standardizer().FitTransform(train.X);
        var (fy, y) = new Standardizer().FitTransform(train.Y);
        var expected = fy.InverseTransform(new KernelRegression(ClassicalKernel.Gaussian(0.5)) { Ridge = Tangent.Dynamics.Ridge.Absolute(1e-2) }.Fit(x, y).Predict(fx.Transform(test.X)));
        var table = CsvFile.Read(P("p.csv"));
        Assert.Equal(["price"], table.ColumnNames);
        Assert.True(table.Values.MaxAbsDifference(expected) < 1e-9);
        Assert.Contains($"test MSE: {Metrics.MeanSquaredError(expected, test.Y):G6}", output);
    }

    [Fact]
    public void PredictWithRawFeaturesAndAnUnstableLearningRateSaysStandardize()
    {
        string wine = WriteWine();
        string[] args = ["predict", "--data", wine, "--target", "class", "--drop", "id", "--arch", "dense(w=1.5) relu dense(w=1.5)", "--time", "10", "--out-mean", P("m.csv")];
        var (code, output, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains("because the features are not standardized: standardize the features (--standardize)", CliRunner.AssertErrorForm(err, output));

        (code, output, err) = CliRunner.Run([.. args, "--standardize"]);
        Assert.True(code == 0, err);
        Assert.Contains("test accuracy at t = 10: ", output);
        var written = File.ReadAllLines(P("m.csv"));
        Assert.Equal("class", written[0]);
        Assert.Equal(45, written.Length - 1);
        Assert.All(written[1..], l => Assert.Contains(l, new[] { "barbera", "barolo", "grignolino" }));
    }

    [Fact]
    public void KernelWithDataUsesTheFeaturesOnlyAndTestDataAsX2()
    {
        string wine = WriteWine();
        File.WriteAllLines(P("few.csv"), File.ReadAllLines(wine).Take(6));
        var (code, _, err) = CliRunner.Run("kernel", "--data", wine, "--target", "class", "--drop", "id", "--test-data", P("few.csv"), "--standardize",
            "--kernel", "linear", "--out", P("k.npy"));
        Assert.True(code == 0, err);
        var all = LabeledTable.Load(wine, new LabeledTableOptions { Target = ["class"], Drop = ["id"] }).Data.X;
        var f = new Standardizer().Fit(all);
        var expected = ClassicalKernel.Linear().Compute(f.Transform(all), f.Transform(all.SelectRows([0, 1, 2, 3, 4])));
        Assert.True(Npy.ReadMatrix(P("k.npy")).MaxAbsDifference(expected) < 1e-12);
    }

    [Fact]
    public void ASeparateTestTableWithoutHeaderIsCodedWithTheTrainingClasses()
    {
        string wine = WriteWine();
        var rows = File.ReadAllLines(wine)[1..];
        File.WriteAllLines(P("train.csv"), rows.Where((_, i) => i % 4 != 0));
        File.WriteAllLines(P("test.csv"), rows.Where((_, i) => i % 4 == 0));
        var (code, output, err) = CliRunner.Run("regress", "--data", P("train.csv"), "--test-data", P("test.csv"), "--header", "no", "--target", "8", "--drop", "1",
            "--standardize", "--kernel", "gaussian", "--ridge", "1e-3", "--out", P("p.csv"));
        Assert.True(code == 0, err);
        Assert.Contains("data: 133 train, 45 test rows, 13 features; classification of 'y' (3 classes: barbera, barolo, grignolino)", output);
        var accuracy = double.Parse(output.Split("test accuracy: ")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.True(accuracy > 90, output);
        Assert.Equal("y", File.ReadAllLines(P("p.csv"))[0]);

        File.AppendAllLines(P("test.csv"), [rows[0].Replace("grignolino", "merlot", StringComparison.Ordinal).Replace("barolo", "merlot", StringComparison.Ordinal).Replace("barbera", "merlot", StringComparison.Ordinal)]);
        (code, output, err) = CliRunner.Run("regress", "--data", P("train.csv"), "--test-data", P("test.csv"), "--header", "no", "--target", "8", "--drop", "1",
            "--kernel", "gaussian", "--out", P("p2.csv"));
        Assert.Equal(2, code);
        Assert.Contains("row 46, column 8: the label 'merlot' is not one of the 3 classes of the training data", CliRunner.AssertErrorForm(err, output));
    }
}
