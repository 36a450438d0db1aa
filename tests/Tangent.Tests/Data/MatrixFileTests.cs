using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

public sealed class MatrixFileTests
{
    [Theory]
    [InlineData("m.csv")]
    [InlineData("m.csv.gz")]
    [InlineData("m.tsv")]
    [InlineData("m.txt")]
    [InlineData("m.npy")]
    [InlineData("M.NPY.GZ")]
    public void RoundTripByExtension(string name)
    {
        using var t = new TempDir();
        var m = DataTestHelpers.Random(9, 4, 7);
        string p = t.File(name);
        MatrixFile.Write(p, m);
        DataTestHelpers.BitwiseEqual(m, MatrixFile.Read(p));
        Assert.Single(Directory.GetFiles(t.Path));
    }

    [Fact]
    public void FormatOfKnowsExtensionsAndRejectsOthers()
    {
        Assert.Equal(MatrixFileFormat.Npy, MatrixFile.FormatOf("a/b.npy"));
        Assert.Equal(MatrixFileFormat.Csv, MatrixFile.FormatOf("b.CSV.gz"));
        var e = Assert.Throws<DataFormatException>(() => MatrixFile.FormatOf("data.xlsx"));
        Assert.Contains("'.xlsx'", e.Message);
        Assert.Contains(".csv, .tsv, .txt or .npy", e.Message);
        Assert.Contains("(none)", Assert.Throws<DataFormatException>(() => MatrixFile.Write("noext", Matrix.Column(1))).Message);
    }

    [Fact]
    public void ReadXYMixesFormatsAndChecksRows()
    {
        using var t = new TempDir();
        MatrixFile.Write(t.File("x.npy"), DataTestHelpers.Random(5, 3, 1));
        MatrixFile.Write(t.File("y.csv"), DataTestHelpers.Random(5, 1, 2));
        MatrixFile.Write(t.File("y4.csv"), DataTestHelpers.Random(4, 1, 2));
        var (x, y) = MatrixFile.ReadXY(t.File("x.npy"), t.File("y.csv"));
        Assert.Equal((5, 3, 5, 1), (x.Rows, x.Cols, y.Rows, y.Cols));
        Assert.Contains("shape mismatch", Assert.Throws<DataFormatException>(() => MatrixFile.ReadXY(t.File("x.npy"), t.File("y4.csv"))).Message);
    }
}

public sealed class CsvEncodingTests
{
    [Fact]
    public void Utf8BomAndCrLfAreHandled()
    {
        using var t = new TempDir();
        string p = t.File("bom.csv");
        File.WriteAllText(p, "a,b\r\n1,2\r\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        var table = CsvFile.Read(p);
        Assert.Equal(["a", "b"], table.ColumnNames!);
        Assert.Equal([1.0, 2], table.Values.Data);
    }
}
