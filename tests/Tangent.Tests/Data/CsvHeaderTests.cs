using Tangent.Data;

namespace Tangent.Tests.Data;

/// <summary>The strict header rule (docs/DATA.md, "Headers"): a bad first row is an error, never a silent header.</summary>
public sealed class CsvHeaderTests
{
    private static CsvTable Parse(string text, CsvHeader header = CsvHeader.Auto) =>
        CsvFile.Parse(new StringReader(text), "f.csv", new CsvReadOptions { Header = header });

    private static DataFormatException Refused(string text, CsvHeader header = CsvHeader.Auto) =>
        Assert.Throws<DataFormatException>(() => Parse(text, header));

    [Theory]
    [InlineData("1,NA,3\n4,5,6\n", 2, "'NA' is not a number", "missing-value marker")]
    [InlineData("1,,3\n4,5,6\n", 2, "the cell is empty", "column 1 is '1'")]
    [InlineData("1,\u22122,3\n4,5,6\n", 2, "U+2212", "hyphen-minus '-'")]
    [InlineData("x,1\n2,3\n", 1, "'x' is not a number", "column 2 is '1'")]
    [InlineData("\"a\",2.5\n1,2\n", 1, "'a' is not a number", "other cells of it are numbers")]
    public void HalfNumericFirstRowIsRefusedNamingRow1TheCellAndTheFix(string text, int column, string what, string why)
    {
        var e = Refused(text);
        Assert.Equal((1, column), (e.Row, e.Column));
        Assert.StartsWith($"'f.csv', row 1, column {column}: ", e.Message);
        Assert.Contains(what, e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains("declare it explicitly (header option yes)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheSameBadCellIsRefusedInRow1AsInRow2()
    {
        foreach (string cell in new[] { "NA", "", "\u22122", "abc" })
        {
            var first = Refused($"1,{cell},3\n4,5,6\n");
            var second = Refused($"4,5,6\n1,{cell},3\n");
            Assert.Equal((1, 2), (first.Row, first.Column));
            Assert.Equal((2, 2), (second.Row, second.Column));
        }
    }

    [Theory]
    [InlineData("\u22121,\u22122\n3,4\n", "U+2212")]   // only Unicode minus signs: number-like, so data
    [InlineData("2nd,3rd\n1,2\n", "'2nd' is not a number")]
    [InlineData("NA\n1\n2\n", "missing-value marker")]  // a one-column file whose first value is missing
    [InlineData("NA,NA\n1,2\n", "no column name")]
    [InlineData(",\n1,2\n", "the cell is empty")]
    public void FirstRowWithoutNumbersIsStillDataWhenItLooksLikeNumbersOrMissingValues(string text, string expected)
    {
        var e = Refused(text);
        Assert.Equal(1, e.Row);
        Assert.Contains(expected, e.Message);
        Assert.Contains("header option yes", e.Message);
    }

    [Theory]
    [InlineData("x1,x2,y\n1,2,3\n", new[] { "x1", "x2", "y" })]
    [InlineData("\"\",\"a\",\"b\"\n1,2,3\n", new[] { "", "a", "b" })]       // R's write.csv: an empty first name
    [InlineData("RI,Na,Mg\n1,2,3\n", new[] { "RI", "Na", "Mg" })]           // 'Na' (sodium) among real names
    [InlineData("# comment\n\nlabel;value\n1;2\n", new[] { "label", "value" })]
    public void TextHeaderIsDetected(string text, string[] names)
    {
        var t = Parse(text);
        Assert.Equal(names, t.ColumnNames!);
        Assert.Equal(1, t.Rows);
        Assert.Equal(names.Length, t.Cols);
    }

    [Fact]
    public void HeaderPresentReadsRow1AsNamesWhateverItHolds()
    {
        var t = Parse("1,NA,\u22123\n4,5,6\n", CsvHeader.Present);
        Assert.Equal(["1", "NA", "\u22123"], t.ColumnNames!);
        Assert.Equal([4.0, 5, 6], t.Values.Data);
    }

    [Fact]
    public void HeaderAbsentReadsRow1AsDataAndRefusesANameInIt()
    {
        var t = Parse("1,2\n3,4\n", CsvHeader.Absent);
        Assert.Null(t.ColumnNames);
        Assert.Equal(2, t.Rows);
        var e = Refused("a,b\n1,2\n", CsvHeader.Absent);
        Assert.Equal((1, 1), (e.Row, e.Column));
        Assert.Contains("'a' is not a number", e.Message);
        Assert.DoesNotContain("header option", e.Message);   // the caller said there is none
    }

    [Fact]
    public void NumericFirstRowWithNaNIsDataAndTheNaNIsRefused()
    {
        var e = Refused("1,NaN\n2,3\n");
        Assert.Equal((1, 2), (e.Row, e.Column));
        Assert.Contains("'NaN' is not finite", e.Message);
    }

    [Theory]
    [InlineData("\"feature 1\"\n0.5\n-2\n", new[] { "feature 1" }, 2, 1)]          // one quoted column whose name holds a space
    [InlineData("\"a b\",\"c d\"\n1,2\n", new[] { "a b", "c d" }, 1, 2)]
    [InlineData("a b\n1 2\n3 4\n", new[] { "a", "b" }, 2, 2)]                       // white space between cells outside quotes
    public void TheDelimiterIsJudgedOutsideQuotes(string text, string[] names, int rows, int cols)
    {
        var t = Parse(text);
        Assert.Equal(names, t.ColumnNames);
        Assert.Equal((rows, cols), (t.Values.Rows, t.Values.Cols));
    }
}
