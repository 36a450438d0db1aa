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
    public void A_new_folder_gets_the_report_and_its_marker()
    {
        string readme = Sample("one").Save(P("rep"));
        Assert.Equal(Path.Combine(P("rep"), "README.md"), readme);
        string[] names = Directory.GetFiles(P("rep")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([Report.MarkerName, "README.md", "numbers.csv", "settings.txt"], names);
    }

    [Fact]
    public void A_report_folder_tangent_wrote_is_replaced_whole()
    {
        Sample("one").Save(P("rep"));
        Sample("two").Save(P("rep"));
        Assert.Contains("two", File.ReadAllText(Path.Combine(P("rep"), "README.md")));
        Assert.Equal([P("rep")], Directory.GetFileSystemEntries(_dir));   // no .tmp or .old folders left beside it
    }

    [Fact]
    public void A_user_folder_is_refused_and_left_untouched()
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
    public void A_report_folder_with_a_file_added_by_the_user_is_refused()
    {
        Sample("one").Save(P("rep"));
        File.WriteAllText(Path.Combine(P("rep"), "my-notes.txt"), "mine");
        var e = Assert.Throws<IOException>(() => Sample("two").Save(P("rep")));
        Assert.Contains("my-notes.txt", e.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(P("rep"), "my-notes.txt")));
        Assert.Contains("one", File.ReadAllText(Path.Combine(P("rep"), "README.md")));
    }

    [Fact]
    public void An_empty_folder_is_filled_in_place()
    {
        Directory.CreateDirectory(P("empty"));
        Sample("one").Save(P("empty"));
        Assert.True(File.Exists(Path.Combine(P("empty"), "README.md")));
        Sample("two").Save(P("empty"));   // and is then a Tangent report, replaceable
        Assert.Contains("two", File.ReadAllText(Path.Combine(P("empty"), "README.md")));
    }

    [Fact]
    public void A_file_in_the_way_is_refused()
    {
        File.WriteAllText(P("f"), "data");
        Assert.Throws<IOException>(() => Sample("x").Save(P("f")));
        Assert.Equal("data", File.ReadAllText(P("f")));
    }

    [Theory]
    [InlineData("experiment", "linear")]
    [InlineData("demo", null)]
    public void The_commands_refuse_a_user_folder_with_exit_2(string command, string? name)
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
    public void Settings_record_the_command_that_was_run()
    {
        var err = new StringWriter();
        int code = TangentCli.Run(["experiment", "linear", "--out", P("lin"), "--seed", "3"], new StringWriter(), err);
        Assert.True(code == 0, err.ToString());
        string settings = File.ReadAllText(Path.Combine(P("lin"), "settings.txt"));
        Assert.Contains($"command = tangent experiment linear --out {P("lin")} --seed 3", settings);
    }
}
