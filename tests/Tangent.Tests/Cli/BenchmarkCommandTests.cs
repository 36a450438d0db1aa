using Tangent.Cli;
using Tangent.Experiments;
using Tangent.Tests.Data;
using Tangent.Tests.Experiments;

namespace Tangent.Tests.Cli;

public sealed class BenchmarkCommandTests
{
    [Fact]
    public void TheUciBenchmarkRunsWritesTheReportAndResumes()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        UciTestSets.Make(t.File("uci90"), "beta", 48, 4, 3, 2);
        string delgado = t.Write("delgado_results.txt", "problema parRF_caret svm_C\nalpha 80 90\nbeta 70 60\n");
        string[] args = ["benchmark", "uci", "--data", t.File("uci90"), "--out", t.File("out"), "--methods", "ntk-svm,ntk-krr"];
        var (code, output, err) = CliRunner.Run(args);
        Assert.True(code == TangentCli.Ok, err);
        Assert.Contains($"delgado: {delgado}", output);   // found beside the data folder
        Assert.Contains("(40×3, 2 classes): NTK-SVM ", output);
        Assert.Contains("% (dep=", output);
        Assert.Contains("RF (Delgado): mean 75.00 % over 2 sets, Friedman rank ", output);
        Assert.Contains("(0 sets read back)", output);
        string report = Path.Combine(t.File("out"), UciBenchmark.ReportFolder);
        Assert.True(File.Exists(Path.Combine(report, "README.md")));
        Assert.True(File.Exists(Path.Combine(report, "results.csv")));
        Assert.Contains("command: `tangent benchmark uci --data", File.ReadAllText(Path.Combine(report, "README.md")));

        (code, output, err) = CliRunner.Run(args);
        Assert.True(code == TangentCli.Ok, err);
        Assert.Equal(2, output.Split('\n').Count(l => l.EndsWith("[read back]", StringComparison.Ordinal)));
        Assert.Contains("(2 sets read back)", output);
    }

    [Fact]
    public void AnInterruptedUciBenchmarkSaysWhatItKept()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        UciTestSets.Make(t.File("uci90"), "beta", 48, 4, 3, 2);
        using var cts = new CancellationTokenSource();
        var output = new CancelOnLine("[1/2]", cts);
        var error = new StringWriter();
        int code = TangentCli.Run(["benchmark", "uci", "--data", t.File("uci90"), "--out", t.File("out"), "--methods", "ntk-krr", "--threads", "1"],
            output, error, cts.Token);
        Assert.Equal(TangentCli.Interrupted, code);
        string sets = Path.Combine(t.File("out"), UciBenchmark.SetsFolder);
        Assert.Equal($"error: interrupted; the finished data sets stay in {sets} (rerun the same command to resume); no report was written",
            error.ToString().Trim());
        Assert.Single(Directory.GetFiles(sets, "*.txt"));
        Assert.Contains("interrupted: 1 of 2 data sets have results", output.ToString());
    }

    // Cancels the run as soon as a line starting with the prefix is written (the first finished data set).
    private sealed class CancelOnLine(string prefix, CancellationTokenSource cts) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.StartsWith(prefix, StringComparison.Ordinal) == true) cts.Cancel();
        }
    }

    [Theory]
    [InlineData("--methods", "ntk,ntk-krr", "--methods: Unknown method 'ntk'; the methods are ntk-svm, nngp-svm, gaussian-svm, ntk-krr.")]
    [InlineData("--sets", "alpah", "'alpah' is not a data set in")]
    [InlineData("--parallel", "cores", "--parallel must be sets or grid, not 'cores'.")]
    [InlineData("--delgado", "absent.txt", "absent.txt' does not exist. Give the results.txt of Fernández-Delgado")]
    public void BadOptionsGiveOneLineErrors(string option, string value, string message)
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        if (value == "absent.txt") value = t.File(value);
        string[] args = ["benchmark", "uci", "--data", t.File("uci90"), "--out", t.File("out"), option, value];
        var (code, output, err) = CliRunner.Run(option == "--methods" ? args : [.. args, "--methods", "ntk-krr"]);
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains(message, CliRunner.AssertErrorForm(err, output));
        Assert.False(Directory.Exists(Path.Combine(t.File("out"), UciBenchmark.SetsFolder)) && Directory.EnumerateFiles(Path.Combine(t.File("out"), UciBenchmark.SetsFolder)).Any());
    }

    [Fact]
    public void DataAndOutputProblemsGiveOneLineErrors()
    {
        using var t = new TempDir();
        UciTestSets.Make(t.File("uci90"), "alpha", 40, 3, 2, 1);
        var (code, output, err) = CliRunner.Run("benchmark", "uci");
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("--data", CliRunner.AssertErrorForm(err, output));

        (code, output, err) = CliRunner.Run("benchmark", "uci", "--data", t.File("nowhere"), "--methods", "ntk-krr");
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("does not exist. Give the uci90.txz archive or the folder it extracts to", CliRunner.AssertErrorForm(err, output));

        string bad = t.Write("uci90.txz", "not an archive");
        (code, output, err) = CliRunner.Run("benchmark", "uci", "--data", bad, "--out", t.File("out"), "--methods", "ntk-krr");
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("extract it by hand (tar xJf", CliRunner.AssertErrorForm(err, output));

        Directory.CreateDirectory(t.File("mine"));
        t.Write(Path.Combine("mine", "notes.txt"), "mine");
        (code, output, err) = CliRunner.Run("benchmark", "uci", "--data", t.File("uci90"), "--out", t.File("mine"), "--methods", "ntk-krr");
        Assert.Equal(TangentCli.BadInput, code);
        Assert.Contains("was not written by `tangent benchmark uci`", CliRunner.AssertErrorForm(err, output));
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(t.File("mine")).Select(Path.GetFileName));
    }

    [Fact]
    public void TheHelpOfBenchmarkPointsToBenchForGemm()
    {
        var (code, output, _) = CliRunner.Run("benchmark", "--help");
        Assert.Equal(TangentCli.Ok, code);
        Assert.Contains("uci", output);
        Assert.Contains("tangent bench", output);
    }
}
