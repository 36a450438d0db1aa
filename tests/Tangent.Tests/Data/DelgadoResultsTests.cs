using Tangent.Data;

namespace Tangent.Tests.Data;

public sealed class DelgadoResultsTests
{
    private const string Table = """
                              problema  elm_kernel_matlab  svm_C  parRF_caret    max
                               abalone               66.1   66.4         63.6   67.4
                    acute-inflammation              100.0    100          100  100.0
          oocytes_merluccius_nucleus_4d               79.2     --         82.3   84.0
        ------------------------------------------------------------------------------------
                                  mean               81.8   80.7
                                   std               16.0   16.6
        """;

    private static DelgadoResults Parse(string text) => DelgadoResults.Parse(new StringReader(text), "results.txt");

    [Fact]
    public void AnInlineTableReadsColumnsRowsAndMissingValues()
    {
        var t = Parse(Table);
        Assert.Equal(["elm_kernel_matlab", "svm_C", "parRF_caret", "max"], t.Columns);
        Assert.Equal(["abalone", "acute-inflammation", "oocytes_merluccius_nucleus_4d"], t.DataSets);   // the summary rows after the dashes are not data sets
        Assert.Equal(63.6, t.Accuracy("abalone", DelgadoResults.RandomForest));
        Assert.Equal(66.4, t.Accuracy("abalone", DelgadoResults.GaussianSvm));
        Assert.Equal(100, t.Accuracy("acute-inflammation", "svm_C"));
        Assert.Null(t.Accuracy("oocytes_merluccius_nucleus_4d", "svm_C"));   // '--'
        Assert.Null(t.Accuracy("iris", "svm_C"));   // no row
        Assert.True(t.HasColumn("max"));
        Assert.False(t.HasColumn("mean"));
    }

    [Fact]
    public void NamesMatchAcrossCaseAndDashOrUnderscore()
    {
        var t = Parse(Table);
        Assert.Equal("abalone", t.Match("abalone"));
        Assert.Equal("oocytes_merluccius_nucleus_4d", t.Match("Oocytes-Merluccius-Nucleus-4d"));
        Assert.Equal("acute-inflammation", t.Match("acute_inflammation"));
        Assert.Null(t.Match("acute-nephritis"));
        Assert.Equal(82.3, t.Accuracy("oocytes-merluccius-nucleus-4d", "parRF_caret"));
    }

    [Fact]
    public void MalformedTablesNameTheRowColumnAndFix()
    {
        var e = Assert.Throws<DataFormatException>(() => Parse("name svm_C\nabalone 1\n"));
        Assert.Contains("row 1, column 1", e.Message);
        Assert.Contains("expected 'problema'", e.Message);
        e = Assert.Throws<DataFormatException>(() => Parse("problema svm_C parRF_caret\nabalone 66.4\n"));
        Assert.Contains("row 2", e.Message);
        Assert.Contains("has 2 fields but the header has 3", e.Message);
        e = Assert.Throws<DataFormatException>(() => Parse("problema svm_C parRF_caret\n\nabalone 66.4 6x\n"));
        Assert.Contains("row 3, column 3: '6x' in column 'parRF_caret' is not a number", e.Message);
        e = Assert.Throws<DataFormatException>(() => Parse("problema svm_C\nabalone 1\nabalone 2\n"));
        Assert.Contains("appears again (first on row 2)", e.Message);
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => Parse("\n\n")).Message);
        var a = Assert.Throws<ArgumentException>(() => Parse(Table).Accuracy("abalone", "rf"));
        Assert.Contains("no column 'rf'", a.Message);
        Assert.Contains("elm_kernel_matlab", a.Message);
    }

    [Fact]
    public void AMissingFileSaysWhatToGive()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DelgadoResults.Load(Path.Combine(Path.GetTempPath(), "no-such-results-" + Guid.NewGuid().ToString("N") + ".txt")));
        Assert.Contains("Fernández-Delgado", e.Message);
    }

    [SkippableFact]
    public void TheSharedTableGivesThePublishedMeansOverTheUci90Sets()
    {
        string? data = DataTestHelpers.SharedDataDirectory();
        Skip.If(data is null, "../shared/data (next to the repository root) is absent; this test reads delgado_results.txt and uci90.txz from it.");
        string path = Path.Combine(data!, "delgado_results.txt");
        Skip.IfNot(File.Exists(path), "delgado_results.txt is absent from ../shared/data.");
        string? archive = Experiments.UciTestSets.SharedArchive(out string reason);
        Skip.If(archive is null, reason);
        var t = DelgadoResults.Load(path);
        Assert.Equal(121, t.DataSets.Count);
        Assert.Equal(65.1, t.Accuracy("abalone", DelgadoResults.RandomForest));
        Assert.Equal(66.0, t.Accuracy("abalone", DelgadoResults.GaussianSvm));
        Assert.Null(t.Accuracy("miniboone", DelgadoResults.GaussianSvm));   // "--" in the file
        using var dir = new TempDir();
        var sets = Uci90.List(Experiments.UciTestSets.Extract(archive!, dir.Path));
        Assert.Equal(90, sets.Count);
        Assert.All(sets, s => Assert.NotNull(t.Match(s)));
        // Arora et al. 2020 compare with these: random forest 81.3 %, Gaussian SVM 81.0 % over the 90 sets.
        Assert.Equal(81.3, Math.Round(sets.Average(s => t.Accuracy(s, DelgadoResults.RandomForest)!.Value), 1));
        Assert.Equal(81.0, Math.Round(sets.Average(s => t.Accuracy(s, DelgadoResults.GaussianSvm)!.Value), 1));
    }
}
