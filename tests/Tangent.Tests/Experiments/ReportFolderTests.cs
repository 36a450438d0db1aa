using Tangent.Cli;
using Tangent.Experiments;

namespace Tangent.Tests.Experiments;

/// <summary>Report folders: written whole, replacing only what Tangent wrote, never a user's folder.</summary>
public sealed class ReportFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static Report Sample(string text)
    {
        var r = new Report("t").Paragraph(text);
        r.Csv("numbers.csv", ["a"], [["1"]]);
        r.Setting("seed", 1);
        return r;
    }

    [Fact]
    public void ANewFolderGetsTheReportAndItsMarker()
    {
        string readme = Sample("one").Save(P("rep"));
        Assert.Equal(Path.Combine(P("rep"), "README.md"), readme);
        string[] names = Directory.GetFiles(P("rep")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([Report.MarkerName, "README.md", "numbers.csv", "settings.txt"], names);
    }

    [Fact]
    public void AReportFolderTangentWroteIsReplacedWhole()
    {
        Sample("one").Save(P("rep"));
        Sample("two").Save(P("rep"));
        Assert.Contains("two", File.ReadAllText(Path.Combine(P("rep"), "README.md")));
        Assert.Equal([P("rep")], Directory.GetFileSystemEntries(_dir));   // no .tmp or .old folders left beside it
    }

    [Fact]
    public void AUserFolderIsRefusedAndLeftUntouched()
    {
        Directory.CreateDirectory(P("thesis"));
        File.WriteAllText(Path.Combine(P("thesis"), "chapter1.tex"), "precious");
        var e = Assert.Throws<IOException>(() => Sample("x").Save(P("thesis")));
        Assert.Contains("not written by Tangent", e.Message);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(P("thesis"), "chapter1.tex")));
        Assert.Single(Directory.GetFileSystemEntries(P("thesis")));
        Assert.Single(Directory.GetFileSystemEntries(_dir));   // nothing left beside it either
    }

    [Fact]
    public void AReportFolderWithAFileAddedByTheUserIsRefused()
    {
        Sample("one").Save(P("rep"));
        File.WriteAllText(Path.Combine(P("rep"), "my-notes.txt"), "mine");
        var e = Assert.Throws<IOException>(() => Sample("two").Save(P("rep")));
        Assert.Contains("my-notes.txt", e.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(P("rep"), "my-notes.txt")));
        Assert.Contains("one", File.ReadAllText(Path.Combine(P("rep"), "README.md")));
    }

    [Fact]
    public void AnEmptyFolderIsFilledInPlace()
    {
        Directory.CreateDirectory(P("empty"));
        Sample("one").Save(P("empty"));
        Assert.True(File.Exists(Path.Combine(P("empty"), "README.md")));
        Sample("two").Save(P("empty"));   // and is then a Tangent report, replaceable
        Assert.Contains("two", File.ReadAllText(Path.Combine(P("empty"), "README.md")));
    }

    [Fact]
    public void AFileInTheWayIsRefused()
    {
        File.WriteAllText(P("f"), "data");
        Assert.Throws<IOException>(() => Sample("x").Save(P("f")));
        Assert.Equal("data", File.ReadAllText(P("f")));
    }

    [Theory]
    [InlineData("experiment", "linear")]
    [InlineData("demo", null)]
    public void TheCommandsRefuseAUserFolderWithExit2(string command, string? name)
    {
        Directory.CreateDirectory(P("user"));
        File.WriteAllText(Path.Combine(P("user"), "keep.txt"), "keep");
        var args = name is null ? new[] { command, "--out", P("user") } : [command, name, "--out", P("user")];
        var err = new StringWriter();
        int code = TangentCli.Run(args, new StringWriter(), err);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err.ToString());
        Assert.Equal("keep", File.ReadAllText(Path.Combine(P("user"), "keep.txt")));
        Assert.Single(Directory.GetFileSystemEntries(P("user")));
    }

    [Fact]
    public void SettingsRecordTheCommandThatWasRun()
    {
        var err = new StringWriter();
        int code = TangentCli.Run(["experiment", "linear", "--out", P("lin"), "--seed", "3"], new StringWriter(), err);
        Assert.True(code == 0, err.ToString());
        string settings = File.ReadAllText(Path.Combine(P("lin"), "settings.txt"));
        Assert.Contains($"command = tangent experiment linear --out {P("lin")} --seed 3", settings);
    }
}
