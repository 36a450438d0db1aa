using System.CommandLine;
using Tangent.Cli;
using Tangent.Experiments;

namespace Tangent.Tests.Cli;

/// <summary>`tangent experiment all`: every registered experiment into OUT/NAME, with a summary of the times.</summary>
public sealed class ExperimentAllCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-all-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>The experiment names that `tangent experiment --help` lists, but "all".</summary>
    private static List<string> Registered()
    {
        var (code, output, _) = CliRunner.Run("experiment", "--help");
        Assert.Equal(0, code);
        var commands = output[output.IndexOf("Commands:", StringComparison.Ordinal)..];
        return commands.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0)
            .Select(l => l.Split(' ')[0]).Where(n => n != "all").ToList();
    }

    [Fact]
    public void OnlyRunsTheNamedExperimentsEachIntoItsOwnReportFolder()
    {
        var (code, output, err) = CliRunner.Run("experiment", "all", "--only", "kernels,linear", "--out", P("all"), "--seed", "2");
        Assert.True(code == 0, err);
        Assert.Equal(["kernels", "linear"], Directory.GetDirectories(P("all")).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal));
        foreach (string n in new[] { "kernels", "linear" })
        {
            Assert.Contains($"# Tangent experiment: {n}", File.ReadAllText(Path.Combine(P("all"), n, "README.md")));
            Assert.Contains($"command = tangent experiment {n} --out {Path.Combine(P("all"), n)} --seed 2", File.ReadAllText(Path.Combine(P("all"), n, "settings.txt")));
        }
        Assert.Contains("[1/2] experiment kernels", output);
        Assert.Contains("[2/2] experiment linear", output);
        Assert.Matches(@"\nlinear +\d+\.\d  .*README\.md", output);
        Assert.Matches(@"\ntotal +\d+\.\d", output);
    }

    [Fact]
    public void AnUnknownNameIsRefusedAndTheMessageListsEveryRegisteredExperiment()
    {
        var (code, output, err) = CliRunner.Run("experiment", "all", "--only", "kernels,nope", "--out", P("all"));
        Assert.Equal(2, code);
        string line = CliRunner.AssertErrorForm(err, output);
        Assert.StartsWith("error: --only: 'nope' is not an experiment; give comma-separated names from: ", line);
        var names = Registered();
        Assert.Contains("width", names);
        Assert.Contains("linear", names);
        foreach (string n in names) Assert.Contains(n, line);
        Assert.False(Directory.Exists(P("all")));
    }

    [Fact]
    public void AUserFolderInTheWayIsRefusedBeforeAnyExperimentRuns()
    {
        Directory.CreateDirectory(P("all/linear"));
        File.WriteAllText(P("all/linear/keep.txt"), "keep");
        var (code, output, err) = CliRunner.Run("experiment", "all", "--only", "kernels,linear", "--out", P("all"));
        Assert.Equal(2, code);
        CliRunner.AssertErrorForm(err, output);
        Assert.False(Directory.Exists(P("all/kernels")));
        Assert.Equal("keep", File.ReadAllText(P("all/linear/keep.txt")));
    }

    [Fact]
    public void AFailingExperimentDoesNotStopTheOthersAndTheRunEndsWithOneErrorNamingIt()
    {
        // a stand-in `experiment` command: "broken" fails on bad data, "fine" writes a report
        var output = new StringWriter();
        var experiments = new Command("experiment");
        foreach (string name in new[] { "broken", "fine" })
        {
            var c = new Command(name);
            var outDir = new Option<string>("--out");
            var seed = new Option<int>("--seed");
            c.Options.Add(outDir); c.Options.Add(seed);
            c.SetAction(r =>
            {
                if (name == "broken") throw new InvalidDataException("row 3, column 2: 'x' is not a number");
                new Report($"fine {r.GetValue(seed)}").Save(r.GetValue(outDir)!);
                return 0;
            });
            experiments.Subcommands.Add(c);
        }
        experiments.Subcommands.Add(ExperimentCommand.All(experiments, output));
        var root = new Command("tangent") { experiments };
        var e = Assert.Throws<CliError>(() => root.Parse(["experiment", "all", "--out", P("all"), "--seed", "5"]).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        Assert.Equal($"1 of 2 experiments failed: broken (row 3, column 2: 'x' is not a number); the other reports are in {P("all")}.", e.Message);
        Assert.Contains("# fine 5", File.ReadAllText(P("all/fine/README.md")));
        Assert.False(Directory.Exists(P("all/broken")));
        Assert.Contains("experiment broken failed: row 3, column 2: 'x' is not a number", output.ToString());
        Assert.Matches(@"\nfine +\d+\.\d  .*README\.md", output.ToString());
    }
}
