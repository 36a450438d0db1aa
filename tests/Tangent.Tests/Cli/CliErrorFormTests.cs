using Tangent.Cli;
using Tangent.Data;

namespace Tangent.Tests.Cli;

/// <summary>
/// The promised error form (docs/RELIABILITY.md): every usage error is exit 2 with one line naming the
/// option, the value and what is valid, then at most one hint; every number option has its range.
/// </summary>
public sealed class CliErrorFormTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-cli-errors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string[] Args(string line)
    {
        MatrixFile.Write(P("x.npy"), TestData.Random(6, 2, 1));
        MatrixFile.Write(P("y.npy"), TestData.Random(6, 1, 2));
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a switch { "X" => P("x.npy"), "Y" => P("y.npy"), _ when a.StartsWith("OUT:", StringComparison.Ordinal) => P(a[4..]), _ => a })
            .ToArray();
    }

    [Theory]
    [InlineData("regress --kernel none --learning-rate 0.1 --steps -5 --x-train X --y-train Y --x-test X --out OUT:p.csv", "error: --steps must be a whole number ≥ 1, not -5.")]
    [InlineData("regress --kernel none --learning-rate 0.1 --steps 2.5 --x-train X --y-train Y --x-test X --out OUT:p.csv", "error: --steps must be a whole number ≥ 1, not 2.5.")]
    [InlineData("regress --kernel none --learning-rate -0.1 --x-train X --y-train Y --x-test X --out OUT:p.csv", "error: --learning-rate must be a number > 0, not -0.1.")]
    [InlineData("regress --kernel laplace --ridge -1 --x-train X --y-train Y --x-test X --out OUT:p.csv", "error: --ridge must be a number ≥ 0, not -1.")]
    [InlineData("regress --kernel gaussian --ridge NaN --x-train X --y-train Y --x-test X --out OUT:p.csv", "error: --ridge must be a number ≥ 0, not NaN.")]
    [InlineData("kernel --kernel gaussian --gamma abc --x1 X --out OUT:k.npy", "error: --gamma: 'abc' is not a number; give a number > 0.")]
    [InlineData("kernel --kernel gaussian --gamma 0 --x1 X --out OUT:k.npy", "error: --gamma must be a number > 0, not 0.")]
    [InlineData("kernel --kernel polynomial --degree 0 --x1 X --out OUT:k.npy", "error: --degree must be a whole number ≥ 1, not 0.")]
    [InlineData("kernel --kernel polynomial --coef0 Infinity --x1 X --out OUT:k.npy", "error: --coef0 must be a finite number, not Infinity.")]
    [InlineData("kernel --kernel linear --header maybe --x1 X --out OUT:k.npy", "error: --header must be yes, no or auto, not 'maybe'.")]
    [InlineData("kernel --kernel linear --images mnist:/nonexistent --limit 0 --out OUT:k.npy", "error: --limit must be a whole number ≥ 1, not 0.")]
    [InlineData("regress --kernel linear --images mnist:/nonexistent --test-limit -3 --out OUT:p.npy", "error: --test-limit must be a whole number ≥ 1, not -3.")]
    [InlineData("regress --kernel linear --images mnist:/nonexistent --label-shift inf --out OUT:p.npy", "error: --label-shift: 'inf' is not a number; give a finite number.")]
    [InlineData("regress --kernel linear --images mnist:/nonexistent --classes 3,3 --out OUT:p.npy", "error: --classes lists a class twice in '3,3'; give each class once.")]
    [InlineData("kernel --kernel linear --memory-budget 0 --x1 X --out OUT:k.npy", "error: --memory-budget must be a size such as 4GB, 512MB or 1e9 (bytes), not '0'.")]
    [InlineData("predict --arch dense --learning-rate 0 --x-train X --y-train Y --x-test X --out-mean OUT:m.npy", "error: --learning-rate must be a number > 0, not 0.")]
    [InlineData("predict --arch dense --time 1,-1 --x-train X --y-train Y --x-test X --out-mean OUT:m.npy", "error: --time: '-1' is not a time ≥ 0 or 'inf'.")]
    [InlineData("experiment width --steps 0 --out OUT:w", "error: --steps must be a whole number from 1 to 10000000, not 0.")]
    [InlineData("experiment width --train 1 --out OUT:w", "error: --train must be a whole number from 2 to 100000, not 1.")]
    [InlineData("experiment width --widths 8,0 --out OUT:w", "error: --widths: '0' is not a positive integer; give whole numbers from 1 to 2147483647, comma-separated, e.g. 8,32,128.")]
    [InlineData("experiment double-descent --seeds 0 --out OUT:d", "error: --seeds must be a whole number from 1 to 1000, not 0.")]
    [InlineData("demo --seed -1 --out OUT:demo", "error: --seed must be a whole number from 0 to 1000000, not -1.")]
    [InlineData("bench --gemm-n 100000", "error: --gemm-n must be a whole number from 0 to 46340, not 100000.")]
    [InlineData("bench --cholesky-n -1", "error: --cholesky-n must be a whole number from 0 to 46340, not -1.")]
    [InlineData("bench --repeats 0", "error: --repeats must be a whole number from 1 to 1000, not 0.")]
    [InlineData("bench --repeats 99999999999", "error: --repeats must be a whole number from 1 to 1000, not 99999999999.")]
    public void EveryNumberOptionRefusesValuesOutsideItsRange(string line, string expected)
    {
        var (code, output, err) = CliRunner.Run(Args(line));
        Assert.Equal(2, code);
        Assert.Equal(expected, CliRunner.AssertErrorForm(err, output));
        Assert.Equal(["x.npy", "y.npy"], Directory.GetFileSystemEntries(_dir).Select(f => Path.GetFileName(f)).Order().ToArray());
    }

    [Theory]
    [InlineData("regress --ridg 1", "error: unknown option '--ridg' for 'tangent regress'.", "hint: did you mean --ridge?")]
    [InlineData("experiment width --step 3", "error: unknown option '--step' for 'tangent experiment width'.", "hint: did you mean --steps?")]
    [InlineData("kernl --x1 a.csv", "error: unknown command 'kernl' for 'tangent'.", "hint: did you mean 'tangent kernel'?")]
    [InlineData("experiment widht", "error: unknown command 'widht' for 'tangent experiment'.", "hint: did you mean 'tangent experiment width'?")]
    [InlineData("kernel --kernel linear --x1 a.csv", "error: --out is required for 'tangent kernel'.", "hint: Output file")]
    [InlineData("kernel --kernel linear --x1 a.csv --out", "error: --out needs a value.", "hint: Output file")]
    [InlineData("regress --standardize maybe --out p.csv", "error: --standardize: 'maybe' is not true or false.", "hint: --standardize is a switch")]
    [InlineData("regress --out p.csv stray", "error: unexpected argument 'stray' for 'tangent regress'.", "hint: every value follows its option")]
    [InlineData("", "error: 'tangent' needs a command: info, dataset, fit, classify, kernel, store, serve, regress, predict, complete, demo, experiment, criticality, bench, benchmark.", "hint: 'tangent --help' describes them.")]
    public void ParseErrorsAreOneLineWithAtMostOneHintAndNoHelp(string line, string expected, string hint)
    {
        var (code, output, err) = CliRunner.Run(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, code);
        Assert.Equal(expected, CliRunner.AssertErrorForm(err, output));
        Assert.StartsWith(hint, err.Split('\n')[1]);
        Assert.Equal("", output);
    }

    [Fact]
    public void HelpStillPrintsHelp()
    {
        var (code, output, err) = CliRunner.Run("kernel", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--out", output);
        Assert.Equal("", err);
    }

    [Fact]
    public void OptionsThatTheChosenKernelWouldIgnoreAreRefused()
    {
        var (code, output, err) = CliRunner.Run(Args("kernel --kernel linear --gamma 2 --x1 X --out OUT:k.npy"));
        Assert.Equal(2, code);
        Assert.Equal("error: --gamma does not apply to --kernel linear.", CliRunner.AssertErrorForm(err, output));
        (code, output, err) = CliRunner.Run(Args("regress --kernel gaussian --learning-rate 0.1 --x-train X --y-train Y --x-test X --out OUT:p.npy"));
        Assert.Equal(2, code);
        Assert.Equal("error: --learning-rate applies only to linear regression (--kernel none).", CliRunner.AssertErrorForm(err, output));
        (code, output, err) = CliRunner.Run(Args("kernel --kernel linear --limit 5 --x1 X --out OUT:k.npy"));
        Assert.Equal(2, code);
        Assert.Equal("error: --limit applies only to an image data set given with --images KIND:PATH.", CliRunner.AssertErrorForm(err, output));
        Assert.False(File.Exists(P("k.npy")));
    }

    [Fact]
    public void HeaderOptionReachesEveryCsvRead()
    {
        File.WriteAllText(P("h.csv"), "1,2\n3,4\n5,6\n");   // a numeric first line: data unless --header yes
        var (code, _, err) = CliRunner.Run("kernel", "--kernel", "linear", "--x1", P("h.csv"), "--out", P("k1.npy"));
        Assert.True(code == 0, err);
        Assert.Equal(3, MatrixFile.Read(P("k1.npy")).Rows);
        (code, _, err) = CliRunner.Run("kernel", "--kernel", "linear", "--header", "yes", "--x1", P("h.csv"), "--x2", P("h.csv"), "--out", P("k2.npy"));
        Assert.True(code == 0, err);
        var k = MatrixFile.Read(P("k2.npy"));
        Assert.Equal((2, 2), (k.Rows, k.Cols));
        Assert.Equal(3 * 3 + 4 * 4, k[0, 0]);

        File.WriteAllText(P("y.csv"), "1\n2\n3\n");
        MatrixFile.Write(P("x3.npy"), TestData.Random(2, 2, 3));
        (code, var output, err) = CliRunner.Run("regress", "--kernel", "linear", "--header", "yes", "--x-train", P("x3.npy"), "--y-train", P("y.csv"),
            "--x-test", P("x3.npy"), "--out", P("p.npy"));
        Assert.True(code == 0, err);   // y.csv read with its first line as a header: 2 rows, as many as x3
        Assert.Contains("wrote predictions", output);

        File.WriteAllText(P("na.csv"), "1,NA,3\n4,5,6\n");   // a half-numeric first row: an error naming row 1, in the CLI's words
        (code, output, err) = CliRunner.Run("kernel", "--kernel", "linear", "--x1", P("na.csv"), "--out", P("k3.npy"));
        Assert.Equal(2, code);
        string line = CliRunner.AssertErrorForm(err, output);
        Assert.Contains("--header yes", line);
        Assert.DoesNotContain("header option", line);
        Assert.False(File.Exists(P("k3.npy")));
    }

    [Fact]
    public void BenchRefusesMatricesThatDoNotFitBeforeAllocating()
    {
        var e = Assert.Throws<InsufficientMemoryException>(() => BenchCommand.RequireMemory("--gemm-n", 40_000, 3, 8L << 30));
        Assert.Equal("--gemm-n 40000 needs 35.8 GB (3 matrices of 40000×40000 doubles) but this process can use 8.0 GB; give --gemm-n 18918 or less.", e.Message);
        BenchCommand.RequireMemory("--cholesky-n", 1000, 2, 8L << 30);   // 15 MB: fine
        var w = new StringWriter();
        Assert.Equal(2, TangentCli.ReportError(w, e));
        Assert.StartsWith("error: --gemm-n 40000 needs 35.8 GB", w.ToString());
    }

    [Fact]
    public void MemoryBudgetAboveTheAvailableMemoryIsRefused()
    {
        var (code, output, err) = CliRunner.Run(Args("kernel --kernel linear --memory-budget 1000000TB --x1 X --out OUT:k.npy"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: --memory-budget 1000000TB is more than the", CliRunner.AssertErrorForm(err, output));
    }

    [Fact]
    public void ExceptionsBecomeOneLineAndUnexpectedOnesAreInternalErrors()
    {
        var w = new StringWriter();
        Assert.Equal(2, TangentCli.ReportError(w, new ArgumentOutOfRangeException("gamma", -1.0, "The gaussian kernel needs γ > 0.")));
        Assert.Equal("error: The gaussian kernel needs γ > 0.\n", w.ToString().ReplaceLineEndings("\n"));

        w = new StringWriter();
        Assert.Equal(2, TangentCli.ReportError(w, new FormatException("Architecture spec, column 6: unknown layer 'rleu'.\n  dense rleu\n        ^")));
        Assert.Equal("error: Architecture spec, column 6: unknown layer 'rleu'.\n", w.ToString().ReplaceLineEndings("\n"));

        w = new StringWriter();
        Assert.Equal(2, TangentCli.ReportError(w, new OutOfMemoryException()));
        CliRunner.AssertErrorForm(w.ToString());
        Assert.StartsWith("error: out of memory", w.ToString());

        w = new StringWriter();
        Assert.Equal(1, TangentCli.ReportError(w, new NullReferenceException("Object reference not set to an instance of an object.")));
        Assert.Equal("error: internal error: NullReferenceException: Object reference not set to an instance of an object. (please report this)",
            CliRunner.AssertErrorForm(w.ToString()));
    }

    [Fact]
    public void NearestSuggestsCloseNamesOnly()
    {
        string[] names = ["--ridge", "--ridge-relative", "--learning-rate", "--steps"];
        Assert.Equal("--ridge", ParseErrors.Nearest("--rigde", names));
        Assert.Equal("--learning-rate", ParseErrors.Nearest("--learning", names));
        Assert.Null(ParseErrors.Nearest("--frobnicate", names));
    }

    [Fact]
    public void ARowCountMismatchSaysWhenRowOneWasReadAsAHeader()
    {
        File.WriteAllText(P("x5.csv"), "1,2\n3,4\n5,6\n7,8\n9,10\n");
        File.WriteAllText(P("y5.csv"), "abc\n1\n2\n3\n4\n");   // 'abc' has no number: a header by the rule
        var (code, output, err) = CliRunner.Run("regress", "--kernel", "linear", "--x-train", P("x5.csv"), "--y-train", P("y5.csv"),
            "--x-test", P("x5.csv"), "--out", P("p.npy"));
        Assert.Equal(2, code);
        string line = CliRunner.AssertErrorForm(err, output);
        Assert.Contains("--y-train has 4", line);
        Assert.Contains("'y5.csv' row 1, 'abc', was read as a header: give --header no if it is data", line);
        Assert.False(File.Exists(P("p.npy")));
    }
}
