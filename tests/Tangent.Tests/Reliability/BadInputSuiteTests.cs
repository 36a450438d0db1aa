using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Tangent.Cli;
using Xunit.Abstractions;

namespace Tangent.Tests.Reliability;

/// <summary>
/// The suite's tests share process-wide state of the CLI (--provider, --memory-budget, the progress
/// switch) and time the interrupt children: they run alone, one class after the other.
/// </summary>
[CollectionDefinition(nameof(ReliabilityCollection), DisableParallelization = true)]
public sealed class ReliabilityCollection;

/// <summary>
/// The project's own bad-input suite (issue 9): malformed CSV, .npy and IDX inputs, architecture
/// specs, extreme options, overflowing kernels, colliding outputs and report folders, against every
/// command, plus generated combinations. Each test runs a list of cases and fails with every case
/// that broke a promise (<see cref="SuiteRunner"/>), one reproduction line each.
/// $TANGENT_FUZZ_CASES sets the number of generated cases (default 200), $TANGENT_FUZZ_SEED their
/// seed, $TANGENT_FUZZ_KEEP=1 keeps the sandboxes of failing cases.
/// </summary>
[Collection(nameof(ReliabilityCollection))]
public sealed class BadInputSuiteTests(ITestOutputHelper log)
{
    [Fact]
    public void CsvInputs() => SuiteRunner.RunAll("csv", Catalogue.Csv(), log);

    [Fact]
    public void NpyInputs() => SuiteRunner.RunAll("npy", Catalogue.Npy(), log);

    [Fact]
    public void IdxInputs() => SuiteRunner.RunAll("idx", Catalogue.Idx(), log);

    [Fact]
    public void ArchitectureSpecs() => SuiteRunner.RunAll("spec", Catalogue.Specs(), log);

    [Fact]
    public void ExtremeOptions() => SuiteRunner.RunAll("option", Catalogue.Options(), log);

    [Fact]
    public void OverflowingKernels() => SuiteRunner.RunAll("overflow", Catalogue.Overflow(), log);

    [Fact]
    public void OutputPaths() => SuiteRunner.RunAll("paths", Catalogue.OutputPaths(), log);

    [Fact]
    public void ReportFolders() => SuiteRunner.RunAll("report", Catalogue.Reports(), log);

    [Fact]
    public void GeneratedCases() =>
        SuiteRunner.RunAll("generated", Generators.Draw(SuiteRunner.GeneratedCount(200), SuiteRunner.Seed), log);

    /// <summary>The generator is deterministic: the same seed draws the same cases (what makes a CI failure reproducible).</summary>
    [Fact]
    public void GeneratedCasesAreReproducibleFromTheSeed()
    {
        var a = Generators.Draw(20, 42).Select(c => c.ToString() + string.Join(",", c.Inputs.Select(kv => kv.Key + Convert.ToHexString(kv.Value)))).ToList();
        var b = Generators.Draw(20, 42).Select(c => c.ToString() + string.Join(",", c.Inputs.Select(kv => kv.Key + Convert.ToHexString(kv.Value)))).ToList();
        var other = Generators.Draw(20, 43).Select(c => c.ToString()).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(s => s[..s.IndexOf('[', StringComparison.Ordinal)]), other.Select(s => s[..s.IndexOf('[', StringComparison.Ordinal)]));
    }

    /// <summary>The harness itself: a planted user file that a run deletes, a NaN output with exit 0, a stack trace and a file left after an error are each caught.</summary>
    [Fact]
    public void TheHarnessCatchesEveryKindOfBrokenPromise()
    {
        // NaN output with exit 0 (erf with a = NaN passes the parser today or not: either way one of the checks must speak).
        var nan = SuiteRunner.Run(new CliCase
        {
            Name = "self/nan",
            Args = ["kernel", "--kernel", "linear", "--x1", "{D}/x.npy", "--out", "{D}/k.npy"],
            Inputs = new() { ["x.npy"] = Formats.Npy("<f8", false, Formats.Shape(2, 2), Formats.F8([1, double.NaN, 3, 4])) },
            Expect = Expect.Either,
            Outputs = [new("k.npy", 2, 2)],
        });
        Assert.True(nan.ExitCode == 2 || nan.Violations.Any(v => v.Kind == Broken.NonFiniteOutput), Describe(nan));

        // A refusal demanded of a valid input is reported as a wrong outcome.
        var wrong = SuiteRunner.Run(new CliCase
        {
            Name = "self/wrong",
            Args = ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--out", "{D}/k.npy"],
            Inputs = new() { ["x.csv"] = "1,2\n3,4\n"u8.ToArray() },
            Expect = Expect.Refuse,
            Outputs = [new("k.npy", 3, 3)],
        });
        Assert.Equal(0, wrong.ExitCode);
        Assert.Contains(wrong.Violations, v => v.Kind == Broken.WrongOutcome);
        Assert.Contains(wrong.Violations, v => v.Kind == Broken.BadOutput && v.Detail.Contains("2×2", StringComparison.Ordinal));

        // A user file overwritten by a declared output is reported; listed in MayModify it is not.
        var overwrite = new CliCase
        {
            Name = "self/overwrite",
            Args = ["kernel", "--kernel", "linear", "--x1", "{D}/x.csv", "--out", "{D}/old.csv"],
            Inputs = new() { ["x.csv"] = "1,2\n3,4\n"u8.ToArray(), ["old.csv"] = "9\n"u8.ToArray() },
            Outputs = [new("old.csv", 2, 2)],
        };
        Assert.Contains(SuiteRunner.Run(overwrite).Violations, v => v.Kind == Broken.UserFileTouched && v.Detail.Contains("old.csv", StringComparison.Ordinal));
        var allowed = SuiteRunner.Run(new CliCase { Name = overwrite.Name, Args = overwrite.Args, Inputs = overwrite.Inputs, Outputs = overwrite.Outputs, MayModify = ["old.csv"] });
        Assert.Empty(allowed.Violations);

        // The child runner: a valid run as a child process passes every check.
        var crash = SuiteRunner.Run(new CliCase
        {
            Name = "self/child-control",
            Args = ["kernel", "--kernel", "gaussian", "--gamma", "1", "--x1", "{D}/x.csv", "--out", "{D}/k.npy"],
            Inputs = new() { ["x.csv"] = "1,2\n3,4\n"u8.ToArray() },
            Expect = Expect.Succeed,
            Outputs = [new("k.npy", 2, 2)],
            OutOfProcess = true,
        });
        Assert.True(crash.ExitCode == 0 && crash.Violations.Count == 0, Describe(crash));
    }

    /// <summary>The judge on simulated runs: files left after an error, temporary files, stack traces, help dumps, long errors, unnamed values.</summary>
    [Fact]
    public void TheJudgeCatchesLeftFilesStackTracesAndBadErrorLines()
    {
        using var box = new CliSandbox();
        var before = box.Snapshot();
        File.WriteAllText(box.P("p.npy"), "half");
        File.WriteAllText(box.P(".p.npy.123.abc.tmp"), "partial");
        var after = box.Snapshot();
        var c = new CliCase { Name = "self/judge", Args = [], MustMention = [["--gamma"], ["-1"]] };
        List<Broken> Judge(int? code, string so, string se, Dictionary<string, string> post)
        {
            var v = new List<Violation>();
            SuiteRunner.Check(c, box, code, so, se, before, post, v);
            return v.Select(x => x.Kind).ToList();
        }

        var left = Judge(2, "", "error: --gamma -1 must be > 0\n", after);
        Assert.Equal(2, left.Count(k => k == Broken.FileLeft));
        Assert.DoesNotContain(Broken.ErrorForm, left);
        Assert.DoesNotContain(Broken.Unnamed, left);

        var trace = Judge(134, "", "Unhandled exception. System.OverflowException: boom\n   at Tangent.X.Y()\n", before);
        Assert.Contains(Broken.Crash, trace);
        Assert.Contains(Broken.StackTrace, trace);

        var help = Judge(2, "Description:\n  Compute\n\nUsage:\n  tangent kernel [options]\n", "Cannot parse argument 'abc' for option '--gamma'\n", before);
        Assert.Contains(Broken.ErrorForm, help);
        Assert.Contains(Broken.Unnamed, help);

        var caret = Judge(2, "", "error: Architecture spec, column 3: bad --gamma -1\n  dense\n  ^\n", before);
        Assert.Equal([Broken.ErrorForm], caret);

        var temp = Judge(0, "", "", after);
        Assert.Contains(Broken.FileLeft, temp);

        File.Delete(box.P("thesis.txt"));
        Assert.Contains(Broken.UserFileTouched, Judge(0, "", "", box.Snapshot()));
    }

    private static string Describe(CaseResult r) =>
        $"exit {r.ExitCode}; stderr {r.Err}; violations: {string.Join("; ", r.Violations.Select(v => v.Kind + ": " + v.Detail))}";

    /// <summary>A valid CSV in any of the usual dresses (header or not, quotes, BOM, CRLF, comments, blank lines, spaces, exponent forms).</summary>
    public sealed record DressedCsv(double[] Values, int Rows, int Cols, int Header, bool Bom, bool Crlf, bool Comments, bool Blank, bool Spaces, bool Quotes, string Format)
    {
        public string Text()
        {
            string nl = Crlf ? "\r\n" : "\n";
            var sb = new StringBuilder();
            if (Comments) sb.Append("# generated by the suite").Append(nl);
            if (Header == 1) sb.Append(string.Join(',', Enumerable.Range(1, Cols).Select(j => $"x{j}"))).Append(nl);
            if (Header == 2) sb.Append(string.Join(',', Enumerable.Range(1, Cols).Select(j => $"\"feature {j}\""))).Append(nl);
            for (int i = 0; i < Rows; i++)
            {
                if (Blank && i == Rows / 2) sb.Append(nl);
                for (int j = 0; j < Cols; j++)
                {
                    if (j > 0) sb.Append(',');
                    string v = Values[i * Cols + j].ToString(Format, CultureInfo.InvariantCulture);
                    if (Quotes) v = $"\"{v}\"";
                    if (Spaces) v = $" {v}  ";
                    sb.Append(v);
                }
                sb.Append(nl);
            }
            if (Blank) sb.Append(nl).Append(nl);
            return sb.ToString();
        }

        public override string ToString() => $"{Rows}×{Cols} header {Header} bom {Bom} crlf {Crlf} comments {Comments} blank {Blank} spaces {Spaces} quotes {Quotes} format {Format}: {Text().Replace("\n", "⏎", StringComparison.Ordinal)}";
    }

    private static Gen<DressedCsv> DressedCsvGen() =>
        from rows in Gen.Choose(1, 7)
        from cols in Gen.Choose(1, 4)
        from mantissas in Gen.ArrayOf(Gen.Choose(-99999, 99999), rows * cols)
        from exponents in Gen.ArrayOf(Gen.Choose(-6, 6), rows * cols)
        from header in Gen.Choose(0, 2)
        from flags in Gen.ArrayOf(Gen.Elements(false, true), 6)
        from format in Gen.Elements("R", "G17", "E16", "F6")
        select new DressedCsv(mantissas.Zip(exponents, (m, e) => m / 1000.0 * Math.Pow(10, e)).Select(v => format == "F6" ? Math.Round(v, 6) : v).ToArray(),
            rows, cols, header, flags[0], flags[1], flags[2], flags[3], flags[4], flags[5], format);

    /// <summary>
    /// Property (FsCheck, fixed replay seed, shrinking on failure): every valid CSV in any dress is read
    /// with all its rows and columns, and `kernel --kernel linear` writes X·Xᵀ exactly as computed here.
    /// A header heuristic that eats a data row, or a reader that refuses a BOM or quotes, fails it.
    /// </summary>
    [Fact]
    public void ValidCsvInAnyDressKeepsEveryRow()
    {
        int tests = SuiteRunner.GeneratedCount(100);
        var config = Config.QuickThrowOnFailure.WithMaxTest(tests)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(SuiteRunner.Seed), FSharpOption<int>.None)));
        int runs = 0;
        var property = Prop.ForAll(DressedCsvGen().ToArbitrary(), csv =>
        {
            runs++;
            string dir = Directory.CreateTempSubdirectory("tangent-suite-csv-").FullName;
            try
            {
                string x = Path.Combine(dir, "x.csv"), k = Path.Combine(dir, "k.npy");
                byte[] text = Encoding.UTF8.GetBytes(csv.Text());
                File.WriteAllBytes(x, csv.Bom ? [0xEF, 0xBB, 0xBF, .. text] : text);
                var e = new StringWriter();
                int code = TangentCli.Run(["kernel", "--kernel", "linear", "--x1", x, "--out", k], new StringWriter(), e);
                if (code != 0) return false.Label($"exit {code}: {e.ToString().Trim()}");
                var m = Formats.ReadNpy(File.ReadAllBytes(k));
                if (m.Problem is not null || m.Rows != csv.Rows || m.Cols != csv.Rows) return false.Label($"output {m.Rows}×{m.Cols} {m.Problem}, expected {csv.Rows}×{csv.Rows}");
                for (int i = 0; i < csv.Rows; i++)
                    for (int j = 0; j < csv.Rows; j++)
                    {
                        double s = 0, scale = 0;
                        for (int c = 0; c < csv.Cols; c++)
                        {
                            s += csv.Values[i * csv.Cols + c] * csv.Values[j * csv.Cols + c];
                            scale += Math.Abs(csv.Values[i * csv.Cols + c] * csv.Values[j * csv.Cols + c]);
                        }
                        double got = m.Values[i * csv.Rows + j];
                        if (!(Math.Abs(got - s) <= 1e-12 * scale + 1e-300)) return false.Label($"K[{i + 1},{j + 1}] = {got}, expected {s}");
                    }
                return true.Label("ok");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        });
        Check.One(config, property);
        log.WriteLine($"valid-csv property: {runs} runs (including shrinking), seed {SuiteRunner.Seed}.");
    }
}
