using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Data;

public sealed class CsvFileTests
{
    [Fact]
    public void RoundTripIsBitExactIncludingAwkwardValues()
    {
        using var t = new TempDir();
        var m = DataTestHelpers.Random(17, 5, 1);
        m[0, 0] = -0.0; m[0, 1] = double.Epsilon; m[0, 2] = double.MaxValue; m[0, 3] = 0.1 + 0.2; m[0, 4] = -1e-310;
        m[1, 0] = 1.0 / 3; m[1, 1] = Math.PI * 1e300; m[1, 2] = double.MinValue;
        string p = t.File("m.csv");
        CsvFile.Write(p, m);
        DataTestHelpers.BitwiseEqual(m, CsvFile.ReadMatrix(p));
    }

    [Fact]
    public void RoundTripWithHeaderKeepsNamesAndGzipWorks()
    {
        using var t = new TempDir();
        var m = DataTestHelpers.Random(4, 3, 2);
        string p = t.File("m.csv.gz");
        CsvFile.Write(p, m, ["a", "b,c", "d"]);
        var table = CsvFile.Read(p);
        Assert.Equal(["a", "b,c", "d"], table.ColumnNames!);
        DataTestHelpers.BitwiseEqual(m, table.Values);
        Assert.Equal(0x1f, File.ReadAllBytes(p)[0]); // gzip magic
    }

    [Theory]
    [InlineData("1,2,3\n4,5,6\n")]
    [InlineData("1;2;3\n4;5;6\n")]
    [InlineData("1 2  3\n  4\t5 6  \n")]
    [InlineData("1\t2\t3\r\n4\t5\t6\r\n")]
    [InlineData("# comment\n\n1, 2 ,3\n\n4,5,6\n\n")]
    [InlineData("\"1\",\"2\",3\n4,5,6")]
    public void DetectsDelimiterWithoutHeader(string text)
    {
        var t = CsvFile.Parse(new StringReader(text), "x");
        Assert.Null(t.ColumnNames);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], t.Values.Data);
    }

    [Fact]
    public void DetectsHeaderAndExplicitOptionsOverride()
    {
        var auto = CsvFile.Parse(new StringReader("x1;x2;y\n1.5;2e3;-4\n"), "s");
        Assert.Equal(["x1", "x2", "y"], auto.ColumnNames!);
        Assert.Equal([1.5, 2000, -4], auto.Values.Data);
        // A numeric first line read as a header when told so.
        var forced = CsvFile.Parse(new StringReader("1,2\n3,4\n"), "s", new CsvReadOptions { Header = CsvHeader.Present });
        Assert.Equal(["1", "2"], forced.ColumnNames!);
        Assert.Equal(1, forced.Rows);
        var err = Assert.Throws<DataFormatException>(() =>
            CsvFile.Parse(new StringReader("a,b\n1,2\n"), "s", new CsvReadOptions { Header = CsvHeader.Absent }));
        Assert.Contains("row 1, column 1", err.Message);
    }

    [Fact]
    public void TargetsByNameOrIndexSplitOneFileIntoXAndY()
    {
        using var t = new TempDir();
        string p = t.Write("d.csv", "f1,label,f2\n1,10,2\n3,30,4\n5,50,6\n");
        var (x, y) = CsvFile.ReadXY(p, [ColumnSelector.ByName("label")]);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], x.Data);
        Assert.Equal([10.0, 30, 50], y.Data);
        var (x2, y2) = CsvFile.ReadXY(p, [ColumnSelector.ByIndex(1)]);
        DataTestHelpers.BitwiseEqual(x, x2);
        DataTestHelpers.BitwiseEqual(y, y2);
        var (x3, y3) = CsvFile.ReadXY(p, [ColumnSelector.ByIndex(-1), ColumnSelector.Parse("LABEL")]);
        Assert.Equal([2.0, 10, 4, 30, 6, 50], y3.Data);
        Assert.Equal([1.0, 3, 5], x3.Data);
        var (x4, _) = CsvFile.ReadXY(p, [ColumnSelector.Parse("2")]);
        Assert.Equal([1.0, 10, 3, 30, 5, 50], x4.Data);
        var table = CsvFile.Read(p);
        Assert.Contains("'f1', 'label', 'f2'", Assert.Throws<DataFormatException>(() => table.ResolveColumn("nope")).Message);
        Assert.Contains("0..2", Assert.Throws<DataFormatException>(() => table.ResolveColumn(3)).Message);
        Assert.Contains("twice", Assert.Throws<DataFormatException>(() => table.SplitTargets([0, "f1"])).Message);
        Assert.Contains("no input column", Assert.Throws<DataFormatException>(() => table.SplitTargets([0, 1, 2])).Message);
        var noHeader = CsvFile.Parse(new StringReader("1,2\n"), "h.csv");
        Assert.Contains("no header", Assert.Throws<DataFormatException>(() => noHeader.ResolveColumn("y")).Message);
    }

    [Fact]
    public void RaggedRowNamesFileRowAndFix()
    {
        using var t = new TempDir();
        string p = t.Write("r.csv", "a,b,c\n1,2,3\n\n4,5\n");
        var e = Assert.Throws<DataFormatException>(() => CsvFile.Read(p));
        Assert.Equal(p, e.FilePath);
        Assert.Equal(4, e.Row);
        Assert.Contains("row 4", e.Message);
        Assert.Contains("2 values but the header has 3", e.Message);
        Assert.Contains("missing or extra delimiter", e.Message);
        var e2 = Assert.Throws<DataFormatException>(() => CsvFile.Parse(new StringReader("1 2 3\n4 5 6 7\n"), "w"));
        Assert.Contains("4 values but row 1 has 3", e2.Message);
    }

    [Fact]
    public void NonNumericCellNamesRowAndColumn()
    {
        var e = Assert.Throws<DataFormatException>(() => CsvFile.Parse(new StringReader("x,y\n1,2\n3,abc\n"), "f.csv"));
        Assert.Equal((3, 2), (e.Row, e.Column));
        Assert.Contains("'f.csv', row 3, column 2: 'abc' is not a number", e.Message);
        var dec = Assert.Throws<DataFormatException>(() => CsvFile.Parse(new StringReader("1,5;2,5\n"), "f.csv"));
        Assert.Contains("decimal comma", dec.Message);
        Assert.Contains("row 1, column 1: '1,5'", dec.Message);
        var named = Assert.Throws<DataFormatException>(() => CsvFile.Parse(new StringReader("2nd,3rd\n1,2\n"), "f.csv"));
        Assert.Contains("header option", named.Message);
        var ok = CsvFile.Parse(new StringReader("2nd,3rd\n1,2\n"), "f.csv", new CsvReadOptions { Header = CsvHeader.Present });
        Assert.Equal(["2nd", "3rd"], ok.ColumnNames!);
        var empty = Assert.Throws<DataFormatException>(() => CsvFile.Parse(new StringReader("1,2\n3,\n"), "f.csv"));
        Assert.Contains("row 2, column 2: the cell is empty", empty.Message);
        var quote = Assert.Throws<DataFormatException>(() => CsvFile.Parse(new StringReader("1,\"2\n"), "f.csv"));
        Assert.Contains("closing quote", quote.Message);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("nan")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e400")]
    public void NonFiniteIsRejectedUnlessAllowed(string cell)
    {
        string text = $"1,2\n3,{cell}\n";
        var e = Assert.Throws<DataFormatException>(() => CsvFile.Parse(new StringReader(text), "f.csv"));
        Assert.Contains("row 2, column 2", e.Message);
        Assert.Contains("not finite", e.Message);
        var ok = CsvFile.Parse(new StringReader(text), "f.csv", new CsvReadOptions { AllowNonFinite = true });
        Assert.False(double.IsFinite(ok.Values[1, 1]));
    }

    [Fact]
    public void EmptyAndHeaderOnlyAndMissingFilesSayWhatIsWrong()
    {
        using var t = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => CsvFile.Read(t.Write("e.csv", "")));
        Assert.Contains("empty", e.Message);
        Assert.Contains("e.csv", e.Message);
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => CsvFile.Read(t.Write("c.csv", "# only a comment\n\n"))).Message);
        Assert.Contains("no data rows", Assert.Throws<DataFormatException>(() => CsvFile.Read(t.Write("h.csv", "a,b\n"))).Message);
        var nf = Assert.Throws<FileNotFoundException>(() => CsvFile.Read(t.File("missing.csv")));
        Assert.Contains("missing.csv", nf.Message);
        Assert.Contains("does not exist", nf.Message);
        Assert.Contains("directory", Assert.Throws<DataFormatException>(() => CsvFile.Read(t.Path)).Message);
    }

    [Fact]
    public void XAndYFromTwoFilesRowMismatchIsAShapeError()
    {
        using var t = new TempDir();
        string x = t.Write("x.csv", "1,2\n3,4\n5,6\n");
        string y = t.Write("y.csv", "1\n2\n");
        var e = Assert.Throws<DataFormatException>(() => CsvFile.ReadXY(x, y));
        Assert.Contains("shape mismatch", e.Message);
        Assert.Contains("2 rows (2×1)", e.Message);
        Assert.Contains("3 rows (3×2)", e.Message);
        Assert.Contains("y.csv", e.Message);
        Assert.Contains("x.csv", e.Message);
        var (xm, ym) = CsvFile.ReadXY(x, t.Write("y3.csv", "1\n2\n3\n"));
        Assert.Equal((3, 2, 3, 1), (xm.Rows, xm.Cols, ym.Rows, ym.Cols));
    }

    [Fact]
    public void WriterDelimitersAndTextWriter()
    {
        var m = Matrix.FromRows([1.5, -2], [3, 4e-20]);
        var sw = new StringWriter();
        CsvFile.Write(sw, m, ["a b", "c"], CsvDelimiter.Whitespace);
        Assert.Equal("\"a b\" c\n1.5 -2\n3 4E-20\n", sw.ToString().Replace("\r\n", "\n"));
        var back = CsvFile.Parse(new StringReader("1.5 -2\n3 4E-20\n"), "s");
        DataTestHelpers.BitwiseEqual(m, back.Values);
        Assert.Throws<ArgumentException>(() => CsvFile.Write(new StringWriter(), m, ["only one"]));
    }
}
