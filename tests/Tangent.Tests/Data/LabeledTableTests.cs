using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

/// <summary>One data model for every command (docs/DATA.md): targets, drops, the task, id warnings and the split.</summary>
public sealed class LabeledTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-table-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private static LabeledTableOptions Options(string target, params string[] drop) =>
        new() { Target = target.Length == 0 ? [] : target.Split(','), Drop = drop };

    private const string Flowers =
        "length,width,species,height\n" +
        "1.0,2.0,setosa,0.5\n" +
        "1.5,2.5,versicolor,0.7\n" +
        "2.0,1.0,setosa,0.1\n" +
        "3.0,0.5,\"virginica\",0.9\n";

    [Fact]
    public void StringLabelsInTheMiddleColumnBecomeAOneHotClassificationTarget()
    {
        var t = LabeledTable.Load(Write("f.csv", Flowers), Options("species"));
        var d = t.Data;
        Assert.Equal(TaskKind.Classification, d.Task);
        Assert.Equal(["length", "width", "height"], d.FeatureNames);
        Assert.Equal(["species"], d.TargetNames);
        Assert.Equal(["setosa", "versicolor", "setosa", "virginica"], d.RawLabels);
        Assert.Equal(["setosa", "versicolor", "virginica"], d.Labels!.Classes);
        Assert.Equal(Matrix.FromRows([1, 2, 0.5], [1.5, 2.5, 0.7], [2, 1, 0.1], [3, 0.5, 0.9]).Data, d.X.Data);
        Assert.Equal(Matrix.FromRows([1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]).Data, d.Y.Data);
        Assert.Empty(t.Warnings);
    }

    [Fact]
    public void IntegerLabelsWithFewValuesAreClassesAndManyValuesAreARegressionTarget()
    {
        var rows = string.Join("\n", Enumerable.Range(0, 20).Select(i => $"{i * 0.5},{i % 3}"));
        var classes = LabeledTable.Load(Write("c.csv", "a,label\n" + rows + "\n"), Options("label")).Data;
        Assert.Equal(TaskKind.Classification, classes.Task);
        Assert.Equal(["0", "1", "2"], classes.Labels!.Classes);
        Assert.Equal(3, classes.Y.Cols);

        var counts = string.Join("\n", Enumerable.Range(0, 20).Select(i => $"{i * 0.5},{i * 7}"));
        var regression = LabeledTable.Load(Write("r.csv", "a,count\n" + counts + "\n"), Options("count")).Data;
        Assert.Equal(TaskKind.Regression, regression.Task);
        Assert.Equal(140.0 - 7, regression.Y[19, 0]);
        Assert.Null(regression.Labels);

        var forced = LabeledTable.Load(Write("c2.csv", "a,label\n" + rows + "\n"), Options("label") with { Task = TaskKind.Regression }).Data;
        Assert.Equal(TaskKind.Regression, forced.Task);
        Assert.Equal(1, forced.Y.Cols);
    }

    [Theory]
    [InlineData(new[] { "a", "b", "a", "b" }, TaskKind.Classification)]
    [InlineData(new[] { "1", "2", "1", "2", "1", "2" }, TaskKind.Classification)]
    [InlineData(new[] { "1", "2", "3", "4" }, TaskKind.Regression)]          // as many values as rows: counts, not classes
    [InlineData(new[] { "1.5", "2", "1.5", "2", "1.5", "2" }, TaskKind.Regression)]
    [InlineData(new[] { "3", "3", "3", "3" }, TaskKind.Regression)]
    public void TheTaskRuleFollowsTheDocumentedThresholds(string[] cells, TaskKind expected) =>
        Assert.Equal(expected, LabeledTable.DecideTask(cells));

    [Fact]
    public void ColumnsAreDroppedByNameOrOneBasedPositionAndTargetsPickedByPosition()
    {
        string p = Write("f.csv", Flowers);
        var byName = LabeledTable.Load(p, Options("species", "width")).Data;
        var byIndex = LabeledTable.Load(p, Options("3", "2")).Data;
        var fromEnd = LabeledTable.Load(p, Options("-2", "-3")).Data;
        foreach (var d in new[] { byName, byIndex, fromEnd })
        {
            Assert.Equal(["length", "height"], d.FeatureNames);
            Assert.Equal(["species"], d.TargetNames);
            Assert.Equal([1, 0.5, 1.5, 0.7, 2, 0.1, 3, 0.9], d.X.Data);
        }
    }

    [Fact]
    public void AMisspelledColumnIsRefusedWithTheNearestNameAndTheColumnList()
    {
        var e = Assert.Throws<DataFormatException>(() => LabeledTable.Load(Write("f.csv", Flowers), Options("specie")));
        Assert.Contains("there is no target column 'specie' (did you mean 'species'?)", e.Message);
        Assert.Contains("'length', 'width', 'species', 'height'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var d = Assert.Throws<DataFormatException>(() => LabeledTable.Load(Write("g.csv", Flowers), Options("species", "widht")));
        Assert.Contains("there is no drop column 'widht' (did you mean 'width'?)", d.Message);
        var far = Assert.Throws<DataFormatException>(() => LabeledTable.Load(Write("h.csv", Flowers), Options("zzzzzz")));
        Assert.DoesNotContain("did you mean", far.Message);
        var range = Assert.Throws<DataFormatException>(() => LabeledTable.Load(Write("i.csv", Flowers), Options("5")));
        Assert.Contains("target column 5 is out of range: the file has 4 columns, so give a position 1..4", range.Message);
    }

    [Fact]
    public void TextInAFeatureColumnIsRefusedNamingTheOneBasedRowAndColumnAndSuggestingDrop()
    {
        string text = "id,name,y\n1.5,alice,1\n2.5,bob,2\n";
        var e = Assert.Throws<DataFormatException>(() => LabeledTable.Load(Write("n.csv", text), Options("y")));
        Assert.Equal((2, 2), (e.Row, e.Column));
        Assert.Contains("row 2, column 2: 'alice' is not a number", e.Message);
        Assert.Contains("--drop name", e.Message);
        var ok = LabeledTable.Load(Write("n2.csv", text), Options("y", "name")).Data;
        Assert.Equal(["id"], ok.FeatureNames);
    }

    [Fact]
    public void AFileWithoutHeaderTakesPositionsAndRefusesNames()
    {
        string p = Write("nh.csv", "1,2,a\n3,4,b\n5,6,a\n");
        var d = LabeledTable.Load(p, Options("3")).Data;
        Assert.Equal(["x1", "x2"], d.FeatureNames);
        Assert.Equal(["y"], d.TargetNames);
        Assert.Equal(TaskKind.Classification, d.Task);
        var e = Assert.Throws<DataFormatException>(() => LabeledTable.Load(p, Options("label")));
        Assert.Contains("the file has no header line. Give its 1-based position (1..3)", e.Message);
    }

    [Fact]
    public void IdLikeColumnsAreWarnedAboutByNameAndByValue()
    {
        string text = "Unnamed: 0,a,b,y\n" + string.Join("\n", Enumerable.Range(0, 6).Select(i => $"{i},{i + 1},{i * 0.3},{i * 1.7}")) + "\n";
        var t = LabeledTable.Load(Write("ids.csv", text), Options("y"));
        Assert.Equal(2, t.Warnings.Count);
        Assert.Contains("column 'Unnamed: 0' (column 1) looks like a row id (its values are the row numbers 0..5)", t.Warnings[0]);
        Assert.Contains("column 'a' (column 2) looks like a row id (its values are the row numbers 1..6)", t.Warnings[1]);
        Assert.Contains("--drop a", t.Warnings[1]);
        Assert.Equal(3, t.Data.X.Cols);   // warned about, still used: never silently dropped
        var byName = LabeledTable.Load(Write("id2.csv", "ID,b,y\n7,1,2\n3,3,3\n9,2,1\n"), Options("y"));
        Assert.Single(byName.Warnings);
        Assert.Contains("its name says so", byName.Warnings[0]);
        Assert.Empty(LabeledTable.Load(Write("id3.csv", "ID,b,y\n7,1,2\n3,3,3\n9,2,1\n"), Options("y", "ID")).Warnings);
    }

    [Fact]
    public void TestDataIsCodedWithTheTrainingClassesAndAnUnknownLabelIsRefusedByRow()
    {
        var train = LabeledTable.Load(Write("tr.csv", Flowers), Options("species")).Data;
        var test = LabeledTable.Load(Write("te.csv", "length,width,species,height\n1,1,virginica,1\n2,2,setosa,2\n"), Options("species"), train).Data;
        Assert.Same(train.Labels, test.Labels);
        Assert.Equal([0, 0, 1, 1, 0, 0], test.Y.Data);
        var e = Assert.Throws<DataFormatException>(() =>
            LabeledTable.Load(Write("te2.csv", "length,width,species,height\n1,1,setosa,1\n2,2,rosa,2\n"), Options("species"), train));
        Assert.Equal((3, 3), (e.Row, e.Column));
        Assert.Contains("'rosa' is not one of the 3 classes", e.Message);
        var cols = Assert.Throws<DataFormatException>(() =>
            LabeledTable.Load(Write("te3.csv", "length,species,height\n1,setosa,1\n"), Options("species"), train));
        Assert.Contains("2 feature columns are left but the training data has 3", cols.Message);
    }

    [Fact]
    public void NpyFeaturesTakeASeparateTargetFileWithTextLabels()
    {
        string x = Path.Combine(_dir, "x.npy");
        MatrixFile.Write(x, Matrix.FromRows([0.1, 1], [0.2, 2], [0.3, 3], [0.4, 4]));
        string y = Write("y.csv", "label\ncat\ndog\ncat\ndog\n");
        var d = LabeledTable.Load(x, new LabeledTableOptions { TargetFile = y }).Data;
        Assert.Equal(TaskKind.Classification, d.Task);
        Assert.Equal(["x1", "x2"], d.FeatureNames);
        Assert.Equal(["label"], d.TargetNames);
        Assert.Equal(["cat", "dog", "cat", "dog"], d.RawLabels);
        var short_ = Write("y2.csv", "label\ncat\ndog\n");
        var e = Assert.Throws<DataFormatException>(() => LabeledTable.Load(x, new LabeledTableOptions { TargetFile = short_ }));
        Assert.Contains("the target file has 2 rows but the data", e.Message);
    }

    [Fact]
    public void NoTargetGivesTheFeaturesOnly()
    {
        var d = LabeledTable.Load(Write("f.csv", Flowers), Options("", "species")).Data;
        Assert.Equal((4, 3, 0), (d.X.Rows, d.X.Cols, d.Y.Cols));
    }

    [Fact]
    public void AStratifiedSplitIsDeterministicAndKeepsEveryClassOnBothSides()
    {
        var text = "a,y\n" + string.Join("\n", Enumerable.Range(0, 40).Select(i => $"{i * 0.1},{(i < 30 ? "big" : "small")}")) + "\n";
        var d = LabeledTable.Load(Write("s.csv", text), Options("y")).Data;
        var (tr1, te1) = LabeledTable.Split(d, 0.25, seed: 3, stratify: true);
        var (tr2, te2) = LabeledTable.Split(d, 0.25, seed: 3, stratify: true);
        Assert.Equal(te1.X.Data, te2.X.Data);
        Assert.Equal(tr1.RawLabels, tr2.RawLabels);
        Assert.Equal(8, te1.RawLabels!.Count(l => l == "big"));    // round(0.25·30)
        Assert.Equal(3, te1.RawLabels!.Count(l => l == "small"));  // round(0.25·10)
        Assert.Equal(40, tr1.Count + te1.Count);
        Assert.Empty(tr1.X.Data.Intersect(te1.X.Data));
        var (_, other) = LabeledTable.Split(d, 0.25, seed: 4, stratify: true);
        Assert.NotEqual(te1.X.Data, other.X.Data);
        Assert.Throws<ArgumentException>(() => LabeledTable.Split(d, 1.0, 0, stratify: false));
    }

    [Fact]
    public void NewDataWithoutTheTargetColumnIsReadAsFeaturesWhenTheTargetIsOptional()
    {
        var train = LabeledTable.Load(Write("tr.csv", Flowers), Options("species")).Data;
        string p = Write("new.csv", "length,width,height\n1,2,3\n4,5,6\n");
        var d = LabeledTable.Load(p, Options("species") with { TargetOptional = true }, train).Data;
        Assert.Equal((2, 3, 0), (d.X.Rows, d.X.Cols, d.Y.Cols));
        Assert.Equal(TaskKind.Classification, d.Task);
        Assert.Same(train.Labels, d.Labels);
        Assert.Throws<DataFormatException>(() => LabeledTable.Load(p, Options("species"), train));
        var withTarget = LabeledTable.Load(Write("te.csv", "length,width,species,height\n1,1,setosa,1\n"), Options("species") with { TargetOptional = true }, train).Data;
        Assert.Equal(3, withTarget.Y.Cols);
    }
}
