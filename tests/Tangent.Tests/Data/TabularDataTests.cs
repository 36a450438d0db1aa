using Tangent.Data;

namespace Tangent.Tests.Data;

public sealed class TabularDataTests
{
    [Fact]
    public void EmbeddedSetsHaveTheirKnownShapes()
    {
        var iris = EmbeddedData.Iris();
        Assert.Equal((150, 4, 3), (iris.Count, iris.Features, iris.ClassCount));
        Assert.Equal(["setosa", "versicolor", "virginica"], iris.ClassNames);
        Assert.Equal([50, 50, 50], iris.Labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal([5.1, 3.5, 1.4, 0.2], iris.X.Row(0).ToArray());

        var wine = EmbeddedData.Wine();
        Assert.Equal((178, 13, 3), (wine.Count, wine.Features, wine.ClassCount));
        Assert.Equal([59, 71, 48], wine.Labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()));

        var bc = EmbeddedData.BreastCancer();
        Assert.Equal((569, 30, 2), (bc.Count, bc.Features, bc.ClassCount));
        Assert.Equal(["malignant", "benign"], bc.ClassNames);
        Assert.Equal(212, bc.Labels.Count(l => l == 0));

        var digits = EmbeddedData.Digits();
        Assert.Equal((1797, 64, 10), (digits.Count, digits.Features, digits.ClassCount));
        Assert.InRange(digits.X.Data.Max(), 16, 16);

        var dia = EmbeddedData.Diabetes();
        Assert.Equal((442, 10, 442, 1), (dia.X.Rows, dia.X.Cols, dia.Y.Rows, dia.Y.Cols));
        Assert.Equal(151.0, dia.Y[0, 0]);
        Assert.Equal([59, 2, 32.1, 101.0, 157, 93.2, 38.0, 4.0, 4.8598, 87], dia.X.Row(0).ToArray());
        Assert.Equal(10, dia.FeatureNames!.Count);

        Assert.Equal((150, 3), (iris.OneHot(-0.1).Rows, iris.OneHot(-0.1).Cols));
        var sub = iris.Subset([0, 149]);
        Assert.Equal([0, 2], sub.Labels);
    }

    [SkippableFact]
    public void EmbeddedSetsEqualTheSharedFiles()
    {
        string? data = DataTestHelpers.SharedDataDirectory();
        Skip.If(data is null, "../shared/data (next to the repository root) is absent; this check compares the embedded copies with it.");
        string tab = Path.Combine(data!, "tabular");
        foreach (var (file, embedded) in new[] { ("iris.csv", EmbeddedData.Iris()), ("wine_data.csv", EmbeddedData.Wine()), ("breast_cancer.csv", EmbeddedData.BreastCancer()), ("digits.csv.gz", EmbeddedData.Digits()) })
        {
            var fromFile = TabularFile.ReadClassification(Path.Combine(tab, file));
            DataTestHelpers.BitwiseEqual(fromFile.X, embedded.X);
            Assert.Equal(fromFile.Labels, embedded.Labels);
            Assert.Equal(fromFile.ClassNames, embedded.ClassNames);
        }
        var dia = TabularFile.ReadRegression(Path.Combine(tab, "diabetes_data_raw.csv.gz"), Path.Combine(tab, "diabetes_target.csv.gz"));
        Assert.Equal("diabetes_data_raw", dia.Name);
        DataTestHelpers.BitwiseEqual(dia.X, EmbeddedData.Diabetes().X);
        DataTestHelpers.BitwiseEqual(dia.Y, EmbeddedData.Diabetes().Y);
    }

    [Fact]
    public void TabularFileChecksHeaderAgainstRows()
    {
        using var t = new TempDir();
        var ok = TabularFile.ReadClassification(t.Write("ok.csv", "3,2,a,b\n1,2,0\n3,4,1\n5,6,1\n"));
        Assert.Equal("ok", ok.Name);
        Assert.Equal([0, 1, 1], ok.Labels);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], ok.X.Data);

        var n = Assert.Throws<DataFormatException>(() => TabularFile.ReadClassification(t.Write("n.csv", "4,2,a,b\n1,2,0\n3,4,1\n")));
        Assert.Contains("row 1, column 1: the header says 4 samples but the file has 2 data rows", n.Message);
        var d = Assert.Throws<DataFormatException>(() => TabularFile.ReadClassification(t.Write("d.csv", "2,3,a,b\n1,2,0\n3,4,1\n")));
        Assert.Contains("header says 3 features but the rows have 2", d.Message);
        var lab = Assert.Throws<DataFormatException>(() => TabularFile.ReadClassification(t.Write("l.csv", "2,2,a,b\n1,2,0\n3,4,0.5\n")));
        Assert.Contains("row 3, column 3: the label 0.5 is not a non-negative integer", lab.Message);
        var range = Assert.Throws<DataFormatException>(() => TabularFile.ReadClassification(t.Write("r.csv", "2,2,a,b\n1,2,0\n3,4,2\n")));
        Assert.Contains("names 2 classes", range.Message);
        var rag = Assert.Throws<DataFormatException>(() => TabularFile.ReadClassification(t.Write("g.csv", "2,2,a,b\n1,2,0\n3,1\n")));
        Assert.Contains("row 3", rag.Message);

        var noHeader = TabularFile.ReadClassification(t.Write("h.csv", "1,2,0\n3,4,2\n"));
        Assert.Equal(["0", "1", "2"], noHeader.ClassNames);
    }

    [Fact]
    public void ReadRegressionChecksRowCounts()
    {
        using var t = new TempDir();
        string x = t.Write("x.txt", "1 2\n3 4\n");
        var e = Assert.Throws<DataFormatException>(() => TabularFile.ReadRegression(x, t.Write("y.txt", "1\n2\n3\n")));
        Assert.Contains("3 rows", e.Message);
        var r = TabularFile.ReadRegression(x, t.Write("y2.txt", "1\n2\n"), "toy", ["a", "b"]);
        Assert.Equal("toy", r.Name);
        Assert.Equal((2, 2, 1), (r.Count, r.Features, r.Y.Cols));
    }
}
