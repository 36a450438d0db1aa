using System.Diagnostics;
using System.Globalization;
using Tangent.Cli;
using Tangent.Data;
using Tangent.Numerics;

namespace Tangent.Tests.Cli;

/// <summary>
/// Output hygiene (docs/RELIABILITY.md): everything is checked before the work, outputs are written last
/// and together, a failure leaves the file system as it was, and predict's times share one file.
/// </summary>
public sealed class CliOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-cli-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string[] Files() => Directory.GetFileSystemEntries(_dir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();

    private void WriteData()
    {
        var x = TestData.Random(20, 3, 1);
        MatrixFile.Write(P("x.npy"), x);
        MatrixFile.Write(P("y.npy"), Matrix.Build(20, 1, (i, _) => Math.Sin(x[i, 0]) + x[i, 1]));
        MatrixFile.Write(P("xt.npy"), TestData.Random(8, 3, 2));
        MatrixFile.Write(P("yt.npy"), TestData.Random(8, 1, 3));
        MatrixFile.Write(P("yt-short.npy"), TestData.Random(7, 1, 3));
    }

    private static string[] Sorted(string[] names) => names.Order(StringComparer.Ordinal).ToArray();

    private static readonly string[] Inputs = ["x.npy", "xt.npy", "y.npy", "yt-short.npy", "yt.npy"];

    private string[] Predict(params string[] extra) =>
        ["predict", "--arch", "dense(w=1.4) erf dense(w=1)", "--x-train", P("x.npy"), "--y-train", P("y.npy"), "--x-test", P("xt.npy"), "--learning-rate", "0.5", .. extra];

    [Theory]
    [InlineData("yt-short.npy", "error: --y-test is 7×1 but 8×1 is needed: one row per --x-test input, as many columns as --y-train.")]
    [InlineData("missing.npy", "error: Data file")]
    public void RegressWithABadYTestWritesNothing(string yTest, string expected)
    {
        WriteData();
        var (code, output, err) = CliRunner.Run("regress", "--kernel", "laplace", "--x-train", P("x.npy"), "--y-train", P("y.npy"),
            "--x-test", P("xt.npy"), "--y-test", P(yTest), "--out", P("pred.csv"));
        Assert.Equal(2, code);
        Assert.StartsWith(expected, CliRunner.AssertErrorForm(err, output));
        Assert.Equal(Inputs, Files());
    }

    [Theory]
    [InlineData("--plot", "err.jpg", "error: --plot '{0}': a plot is a PNG image; end the name in .png.")]
    [InlineData("--plot", "nodir/err.png", "error: --plot '{0}': the folder '{1}' does not exist.")]
    [InlineData("--out-cov", "nodir/var.npy", "error: --out-cov '{0}': the folder '{1}' does not exist.")]
    [InlineData("--out-cov", "var.xlsx", "error: --out-cov '{0}': '.xlsx' is not an output format.")]
    [InlineData("--out-cov", "mean.npy", "error: --out-mean and --out-cov both name '{2}'.")]
    public void PredictChecksEveryOutputBeforeAnyWork(string option, string name, string expected)
    {
        WriteData();
        string path = P(name);
        var (code, output, err) = CliRunner.Run(Predict("--y-test", P("yt.npy"), "--time", "1,10,inf", "--out-mean", P("mean.npy"), option, path));
        Assert.Equal(2, code);
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, expected, path, Path.GetDirectoryName(path), P("mean.npy")), CliRunner.AssertErrorForm(err, output));
        Assert.Equal("", output);   // refused before training: nothing computed, nothing printed
        Assert.Equal(Inputs, Files());
    }

    [Fact]
    public void SeveralTimesGoToOneFileWithALeadingTimeAxis()
    {
        WriteData();
        var (code, _, err) = CliRunner.Run(Predict("--time", "1000000,1000001", "--out-mean", P("mean.npy"), "--out-cov", P("var.npy")));
        Assert.True(code == 0, err);
        Assert.Equal(Sorted([.. Inputs, "mean.npy", "var.npy"]), Files());
        var mean = Npy.Read(P("mean.npy"));
        Assert.Equal([2, 8, 1], mean.Shape);
        Assert.Equal([2, 8, 1], Npy.Read(P("var.npy")).Shape);

        // slice t of the stack is exactly the prediction at that time alone, in --time order
        (code, _, err) = CliRunner.Run(Predict("--time", "1000001", "--out-mean", P("one.npy")));
        Assert.True(code == 0, err);
        var one = Npy.Read(P("one.npy"));
        Assert.Equal([8, 1], one.Shape);
        for (int i = 0; i < 8; i++) Assert.Equal(one.Values[i, 0], mean.Values[1, i]);

        // CSV: a header, then a time column and T·n rows
        (code, _, err) = CliRunner.Run(Predict("--time", "1,inf", "--out-mean", P("mean.csv")));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(P("mean.csv"));
        Assert.Equal("time,mean1", lines[0]);
        Assert.Equal(1 + 2 * 8, lines.Length);
        Assert.All(lines[1..9], l => Assert.StartsWith("1,", l));
        Assert.All(lines[9..], l => Assert.StartsWith("Infinity,", l));
    }

    [Fact]
    public void PerTimeFilesHaveNamesThatCannotCollide()
    {
        WriteData();
        var (code, output, err) = CliRunner.Run(Predict("--time", "1000000,1000001,inf", "--per-time", "--out-mean", P("mean.npy"), "--out-cov", P("var.csv")));
        Assert.True(code == 0, err);
        string[] made = ["mean_t0000_1000000.npy", "mean_t0001_1000001.npy", "mean_t0002_inf.npy", "var_t0000_1000000.csv", "var_t0001_1000001.csv", "var_t0002_inf.csv"];
        Assert.Equal(Sorted([.. Inputs, .. made]), Files());
        Assert.Equal(6, output.Split('\n').Count(l => l.StartsWith("wrote ", StringComparison.Ordinal)));
        Assert.Equal("mean_t0012_0.5.npy", Path.GetFileName(PredictCommand.WithTime(P("mean.npy"), 12, 0.5, 13)));
        Assert.Equal("m_t00012_inf.npy.gz", Path.GetFileName(PredictCommand.WithTime(P("m.npy.gz"), 12, double.PositiveInfinity, 10_000 + 1)));

        // a derived name that another output already has is refused, naming both options
        (code, output, err) = CliRunner.Run(Predict("--time", "1,2", "--per-time", "--out-mean", P("m.npy"), "--out-cov", P("m_t0001_2.npy")));
        Assert.Equal(2, code);
        Assert.Equal($"error: --out-mean and --out-cov both name '{P("m_t0001_2.npy")}'.", CliRunner.AssertErrorForm(err, output));
    }

    [Fact]
    public void AFailedRunLeavesAnExistingOutputAsItWas()
    {
        WriteData();
        File.WriteAllText(P("pred.csv"), "old\n");
        var (code, _, _) = CliRunner.Run("regress", "--kernel", "laplace", "--x-train", P("x.npy"), "--y-train", P("y.npy"),
            "--x-test", P("xt.npy"), "--y-test", P("yt-short.npy"), "--out", P("pred.csv"));
        Assert.Equal(2, code);
        Assert.Equal("old\n", File.ReadAllText(P("pred.csv")));
        (code, _, var err) = CliRunner.Run("regress", "--kernel", "laplace", "--x-train", P("x.npy"), "--y-train", P("y.npy"),
            "--x-test", P("xt.npy"), "--out", P("pred.csv"));
        Assert.True(code == 0, err);   // a successful run replaces it: the user named it as the output
        Assert.Equal(8, MatrixFile.Read(P("pred.csv")).Rows);
        Assert.Equal(Sorted([.. Inputs, "pred.csv"]), Files());
    }

    [Fact]
    public void NonFiniteOutputsAreRefusedNamingTheEntry()
    {
        var good = Matrix.Build(2, 2, (i, j) => i + j);
        var bad = Matrix.Build(3, 2, (i, j) => i == 2 && j == 1 ? double.NaN : 1);
        var plan = new OutputPlan();
        string a = plan.Declare("--out-mean", new FileInfo(P("a.npy")));
        string b = plan.Declare("--out-cov", new FileInfo(P("b.csv")));
        plan.AddMatrix("--out-mean", a, good, "mean", "fix it");
        plan.AddMatrix("--out-cov", b, bad, "variances", "add a ridge");
        var e = Assert.Throws<CliError>(() => plan.WriteAll(TextWriter.Null));
        Assert.Equal("--out-cov: entry (row 3, column 2) of the variances 3×2 is NaN; nothing was written.", e.Message);
        Assert.Equal("add a ridge", e.Hint);
        Assert.Empty(Files());

        plan = new OutputPlan();
        string s = plan.Declare("--out-mean", new FileInfo(P("s.npy")));
        var inf = Matrix.Build(2, 1, (i, _) => i == 1 ? double.NegativeInfinity : 0);
        plan.AddStack("--out-mean", s, [Matrix.Build(2, 1, (_, _) => 0), inf], [10, 20], "mean", "lower the time");
        e = Assert.Throws<CliError>(() => plan.WriteAll(TextWriter.Null));
        Assert.Equal("--out-mean: entry (row 2, column 1) at t = 20 of the mean (2, 2, 1) is −∞; nothing was written.", e.Message);

        plan = new OutputPlan();
        string f = plan.Declare("--out", new FileInfo(P("f.npy")));
        plan.AddMatrix("--out", f, Matrix.Build(1, 2, (_, j) => j == 1 ? 1e300 : 0), "kernel", "", NpyElementType.Float32);
        e = Assert.Throws<CliError>(() => plan.WriteAll(TextWriter.Null));
        Assert.Equal("--out: entry (row 1, column 2) of the kernel 1×2 is 1E+300, beyond float32; nothing was written.", e.Message);
        Assert.Empty(Files());
    }

    [SkippableFact]
    public void NumpyReadsTheStackedArray()
    {
        string? py = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : null;
        Skip.If(py is null || !Run(py, "-c \"import numpy\"", out _), "python3 with numpy is not installed (Debian: apt-get install python3-numpy); cross-check skipped.");
        var slices = new[] { Matrix.Build(3, 2, (i, j) => i + 10 * j), Matrix.Build(3, 2, (i, j) => -i - 0.5 * j) };
        StackedMatrixFile.Write(P("s.npy"), slices, [1, double.PositiveInfinity]);
        StackedMatrixFile.Write(P("s32.npy"), slices, [1, 2], npyElementType: NpyElementType.Float32);
        Assert.True(Run(py!, $"-c \"import numpy as np; a = np.load('{P("s.npy")}'); b = np.load('{P("s32.npy")}'); " +
            "print(a.shape, a.dtype, b.dtype, a[0, 2, 1], a[1, 1, 1], float(abs(a - b).max()))\"", out string printed), printed);
        Assert.Equal("(2, 3, 2) float64 float32 12.0 -1.5 0.0", printed.Trim());
    }

    private static bool Run(string exe, string args, out string output)
    {
        using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        output = p.ExitCode == 0 ? stdout.Result : stderr;
        return p.ExitCode == 0;
    }
}
