using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Tangent.Tests;

/// <summary>
/// The examples of examples/ run one at a time: building them rebuilds src/Tangent (in Debug, the
/// configuration of <c>dotnet run</c>, so never the Release output the other tests use), and two builds of
/// one project at once would race. A collection without parallelization also runs after the parallel
/// ones, so the examples' timings are not those of a machine busy with the rest of the suite.
/// </summary>
[CollectionDefinition(nameof(ExamplesCollection), DisableParallelization = true)]
public sealed class ExamplesCollection;

/// <summary>
/// Every examples/*.cs, found when the tests run (a new example needs no change here), is a .NET 10
/// file-based app: it is built as <c>dotnet build examples/NAME.cs</c> from the repository root, under the
/// repository's build settings (Directory.Build.props: warnings are errors), then run as
/// <c>dotnet run --no-build examples/NAME.cs</c>, which is what <c>dotnet run examples/NAME.cs</c> in
/// examples/README.md does in one step. It must exit 0 within <see cref="RunTimeout"/> and end with a line
/// that starts with <c>ok:</c> and says what it showed (the convention of examples/README.md).
/// </summary>
[Collection(nameof(ExamplesCollection))]
public sealed partial class ExamplesTests(ITestOutputHelper output)
{
    /// <summary>Building one example: the first build of a fresh checkout also compiles src/Tangent in Debug (about a minute on 2 cores).</summary>
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);

    /// <summary>Running one example once built (each is meant to take well under 30 seconds).</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The file names of examples/*.cs, sorted.</summary>
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (string file in ExampleFiles()) data.Add(Path.GetFileName(file));
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Examples))]
    [Trait("Category", "Slow")]
    public void ExampleBuildsWithoutWarningsRunsAndEndsWithAnOkLine(string example)
    {
        Skip.If(!DotnetProcess.IsOnPath(), "the dotnet command is not on PATH; the examples were not run.");
        string root = DotnetProcess.RepositoryRoot();
        string path = "examples/" + example;   // relative to the repository root, as in examples/README.md

        var clock = Stopwatch.StartNew();
        var build = DotnetProcess.Run(root, BuildTimeout, "build", path);
        var built = clock.Elapsed;
        Assert.False(build.TimedOut, $"dotnet build {path} did not finish within {BuildTimeout.TotalMinutes} minutes:\n{Tail(build.Out, 3000)}");
        var problems = (build.Out + build.Err).Split('\n').Where(l => CompilerMessage().IsMatch(l)).Distinct().Take(30).ToList();
        Assert.True(build.ExitCode == 0, $"{path} does not build (exit {build.ExitCode}); fix these and run 'dotnet build {path}' again:\n"
            + (problems.Count > 0 ? string.Join('\n', problems) : Tail(build.Out + build.Err, 3000)));
        Assert.True(problems.Count == 0, $"{path} builds with warnings; fix them (the repository builds warning-free):\n{string.Join('\n', problems)}");

        clock.Restart();
        var run = DotnetProcess.Run(root, RunTimeout, "run", "--no-build", path);
        output.WriteLine($"{path}: built in {built.TotalSeconds:F1} s, ran in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(run.Out);
        if (run.Err.Length > 0) output.WriteLine("stderr:\n" + run.Err);
        Assert.False(run.TimedOut, $"{path} did not finish within {RunTimeout.TotalMinutes} minutes; its output so far:\n{Tail(run.Out, 3000)}\n{Tail(run.Err, 2000)}");
        Assert.True(run.ExitCode == 0, $"{path} exited {run.ExitCode}; its output:\n{Tail(run.Out, 3000)}\nstderr:\n{Tail(run.Err, 3000)}");
        string last = LastLine(run.Out);
        Assert.True(last.StartsWith("ok:", StringComparison.Ordinal),
            $"{path} should end with a line 'ok: <what it showed>' (examples/README.md); its last line is '{last}'. Its output:\n{Tail(run.Out, 3000)}");
    }

    [Fact]
    public void EveryExampleIsListedInTheExamplesReadmeWithItsCommand()
    {
        string root = DotnetProcess.RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "examples", "README.md"));
        var files = ExampleFiles();
        Assert.NotEmpty(files);
        var missing = files.Select(Path.GetFileName).Where(f => !readme.Contains($"dotnet run examples/{f}", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "examples/README.md should list every example with its command; add a line "
            + string.Join(", ", missing.Select(f => $"'dotnet run examples/{f}'")) + " with what the example shows.");
    }

    [Fact]
    public void TheOkLineIsTheLastNonEmptyLineOfTheOutput()
    {
        Assert.Equal("ok: it worked", LastLine("a\nb\nok: it worked\n\n"));
        Assert.Equal("ok: crlf", LastLine("a\r\nok: crlf\r\n"));
        Assert.Equal("b", LastLine("ok: not last\nb\n"));
        Assert.Equal("", LastLine(""));
    }

    /// <summary>The last non-empty line of <paramref name="text"/>, without its line ending; "" if none.</summary>
    internal static string LastLine(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.TrimEnd() ?? "";

    private static List<string> ExampleFiles()
    {
        string dir = Path.Combine(DotnetProcess.RepositoryRoot(), "examples");
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.cs").Order(StringComparer.Ordinal).ToList() : [];
    }

    private static string Tail(string s, int chars) => s.Length <= chars ? s : "…" + s[^chars..];

    /// <summary>A compiler or MSBuild diagnostic line: "file(line,col): error CS0001: …" or "… warning IDE0005: …".</summary>
    [GeneratedRegex(@":\s(error|warning)\s[A-Z]+[0-9]+:")]
    private static partial Regex CompilerMessage();
}
