using System.Diagnostics;
using System.Reflection;
using System.Text;
using Tangent.Cli;
using Xunit.Abstractions;

namespace Tangent.Tests.Reliability;

/// <summary>The kinds of broken promises the suite counts (the issue's "figures to hold" are the first four).</summary>
internal enum Broken
{
    /// <summary>A planted user file or folder was deleted or changed.</summary>
    UserFileTouched,
    /// <summary>A stack trace or "Unhandled exception" reached the user.</summary>
    StackTrace,
    /// <summary>Exit 0 with NaN or ±∞ in an output file or on stdout.</summary>
    NonFiniteOutput,
    /// <summary>A file or folder left behind after an error, or a temporary file left at all.</summary>
    FileLeft,
    /// <summary>An exit code other than 0 and 2, an exception out of TangentCli.Run, or a hang.</summary>
    Crash,
    /// <summary>Exit 2 without the promised form: one "error: " line, at most one hint line, no help dump.</summary>
    ErrorForm,
    /// <summary>The error line does not name the offending option, value, file or row.</summary>
    Unnamed,
    /// <summary>Exit 0 where only a refusal is right, or exit 2 on a valid input.</summary>
    WrongOutcome,
    /// <summary>Exit 0 but a declared output is missing, unreadable or of the wrong shape.</summary>
    BadOutput,
}

/// <summary>One broken promise of one case.</summary>
internal sealed record Violation(Broken Kind, string Detail);

/// <summary>The outcome of one case.</summary>
internal sealed record CaseResult(CliCase Case, int? ExitCode, string Out, string Err, TimeSpan Elapsed, IReadOnlyList<Violation> Violations);

/// <summary>
/// Runs cases in a fresh <see cref="CliSandbox"/> each, in-process through <c>TangentCli.Run</c>
/// (or as a child process when the case asks), and checks every invariant of the issue:
/// exit 0 or 2; on 2 one "error: " line (+ at most one hint), no stack trace, nothing left behind;
/// on 0 every declared output present, readable, finite and of the declared shape; no temporary
/// file left; every planted user file present and byte-identical.
/// </summary>
internal static class SuiteRunner
{
    /// <summary>Number of generated cases: $TANGENT_FUZZ_CASES, else <paramref name="ci"/> (the bounded CI count).</summary>
    public static int GeneratedCount(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("TANGENT_FUZZ_CASES"), out int n) && n > 0 ? n : ci;

    /// <summary>Seed of the generators: $TANGENT_FUZZ_SEED, else a fixed one (CI runs are reproducible).</summary>
    public static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("TANGENT_FUZZ_SEED"), out ulong s) ? s : 20251130UL;

    /// <summary>Keep the sandbox of a failing case for inspection ($TANGENT_FUZZ_KEEP=1).</summary>
    private static bool Keep => Environment.GetEnvironmentVariable("TANGENT_FUZZ_KEEP") == "1";

    private static int _total;
    private static readonly Dictionary<Broken, int> SuiteTally = Enum.GetValues<Broken>().ToDictionary(k => k, _ => 0);

    /// <summary>Cases run by this process so far (all categories).</summary>
    public static int Total => _total;

    static SuiteRunner()
    {
        // CliProgress is internal to the CLI: silence it by reflection so that no progress line reaches the console.
        typeof(TangentCli).Assembly.GetType("Tangent.Cli.CliProgress")?.GetProperty("Quiet", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?.SetValue(null, true);
    }

    /// <summary>Runs the cases, logs the count and every failing case, and fails with the list when any broke a promise.</summary>
    public static void RunAll(string category, IReadOnlyList<CliCase> cases, ITestOutputHelper log)
    {
        var clock = Stopwatch.StartNew();
        var failed = new List<CaseResult>();
        var tally = Enum.GetValues<Broken>().ToDictionary(k => k, _ => 0);
        foreach (var c in cases)
        {
            var r = Run(c);
            Interlocked.Increment(ref _total);
            if (r.Violations.Count == 0) continue;
            failed.Add(r);
            foreach (var k in r.Violations.Select(v => v.Kind).Distinct()) tally[k]++;
        }
        log.WriteLine($"{category}: {cases.Count} cases in {clock.Elapsed.TotalSeconds:F1} s, {failed.Count} failing (seed {Seed}; suite total so far {Total}).");
        log.WriteLine("failing cases by broken promise: " + string.Join(", ", tally.Select(kv => $"{kv.Key} {kv.Value}")));
        lock (SuiteTally)
        {
            foreach (var (k, n) in tally) SuiteTally[k] += n;
            log.WriteLine("suite so far: " + string.Join(", ", SuiteTally.Select(kv => $"{kv.Key} {kv.Value}")));
        }
        var report = new StringBuilder();
        foreach (var r in failed)
        {
            report.Append("FAIL ").AppendLine(r.Case.ToString());
            report.Append("     exit ").Append(r.ExitCode?.ToString() ?? "none").Append(" after ").Append(r.Elapsed.TotalSeconds.ToString("F1")).Append(" s");
            string err = FirstLines(r.Err, 3);
            if (err.Length > 0) report.Append("; stderr: ").Append(err);
            report.AppendLine();
            foreach (var v in r.Violations) report.Append("     - ").Append(v.Kind).Append(": ").AppendLine(v.Detail);
        }
        if (failed.Count > 0)
        {
            log.WriteLine(report.ToString());
            Assert.Fail($"{category}: {failed.Count} of {cases.Count} cases broke a promise.\n" + report);
        }
    }

    private static string FirstLines(string s, int n)
    {
        var lines = s.Replace("\r", "", StringComparison.Ordinal).Split('\n').Where(l => l.Length > 0).Take(n + 1).ToList();
        string text = string.Join(" ⏎ ", lines.Take(n).Select(l => l.Length > 220 ? l[..220] + "…" : l));
        return lines.Count > n ? text + " ⏎ …" : text;
    }

    /// <summary>Runs one case in a fresh sandbox and checks it.</summary>
    public static CaseResult Run(CliCase c)
    {
        var box = new CliSandbox();
        bool keep = false;
        try
        {
            box.Write(c.Inputs);
            var before = box.Snapshot();
            string[] args = c.Args.Select(a => a.Replace("{D}", box.Work, StringComparison.Ordinal)).ToArray();
            var v = new List<Violation>();
            int? code;
            string so, se;
            var clock = Stopwatch.StartNew();
            if (c.OutOfProcess)
            {
                var r = ChildCli.Run(args, box.Work, TimeSpan.FromSeconds(c.TimeoutSeconds), c.HeapLimitBytes);
                so = r.Out;
                se = r.Err;
                code = r.TimedOut ? null : r.ExitCode;
                if (r.TimedOut) v.Add(new(Broken.Crash, $"still running after {c.TimeoutSeconds} s (killed)"));
            }
            else
            {
                (code, so, se) = RunInProcess(args, c.TimeoutSeconds, v);
            }
            var elapsed = clock.Elapsed;
            var after = box.Snapshot();
            Check(c, box, code, so, se, before, after, v);
            keep = Keep && v.Count > 0;
            if (keep) v.Add(new(Broken.Crash, $"(sandbox kept at {box.Root})"));
            return new CaseResult(c, code, so, se, elapsed, v);
        }
        finally
        {
            if (!keep) box.Dispose();
        }
    }

    private static (int? Code, string Out, string Err) RunInProcess(string[] args, int timeoutSeconds, List<Violation> v)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var task = Task.Run(() => TangentCli.Run(args, o, e));
        try
        {
            if (!task.Wait(TimeSpan.FromSeconds(timeoutSeconds)))
            {
                v.Add(new(Broken.Crash, $"still running after {timeoutSeconds} s in-process (left running; later cases may be disturbed)"));
                return (null, o.ToString(), e.ToString());
            }
            return (task.Result, o.ToString(), e.ToString());
        }
        catch (AggregateException ae)
        {
            var x = ae.InnerException ?? ae;
            v.Add(new(Broken.Crash, $"TangentCli.Run threw {x.GetType().Name}: {OneLine(x.Message)} (the real CLI prints a stack trace and exits 134)"));
            v.Add(new(Broken.StackTrace, $"unhandled {x.GetType().Name}"));
            return (null, o.ToString(), e.ToString());
        }
        finally
        {
            // --provider and --memory-budget are process-wide; put them back for the next case.
            Tangent.Numerics.LinearAlgebra.Use(Tangent.Numerics.ProviderKind.Auto);
            Tangent.Layers.ConvolutionalKernel.DefaultMemoryBudget = null;
        }
    }

    private static string OneLine(string s) => Cut(s.Replace("\r", "", StringComparison.Ordinal).Replace('\n', ' '));

    /// <summary>Judges a finished run: appends every broken promise to <paramref name="v"/>.</summary>
    internal static void Check(CliCase c, CliSandbox box, int? code, string so, string se,
        Dictionary<string, string> before, Dictionary<string, string> after, List<Violation> v)
    {
        if (code is int k && k is not (0 or 2))
            v.Add(new(Broken.Crash, $"exit code {k} (only 0 and 2 are promised)"));
        foreach (var (stream, text) in new[] { ("stderr", se), ("stdout", so) })
        {
            if (text.Contains("   at ", StringComparison.Ordinal) || text.Contains("Unhandled exception", StringComparison.Ordinal)
                || text.Contains("Stack overflow", StringComparison.Ordinal))
                v.Add(new(Broken.StackTrace, $"{stream} holds a stack trace: {Excerpt(text)}"));
        }

        // User files: everything present before the run must still be there, unchanged.
        foreach (var (path, hash) in before)
        {
            string rel = path.Replace('\\', '/');
            if (rel.StartsWith("work/", StringComparison.Ordinal) && c.MayModify.Contains(rel["work/".Length..])) continue;
            if (!after.TryGetValue(path, out var now))
                v.Add(new(Broken.UserFileTouched, $"'{path}' was deleted"));
            else if (now != hash)
                v.Add(new(Broken.UserFileTouched, $"'{path}' was changed"));
        }
        var created = after.Keys.Where(p => !before.ContainsKey(p)).OrderBy(p => p, StringComparer.Ordinal).ToList();
        foreach (var p in created.Where(IsTemporary))
            v.Add(new(Broken.FileLeft, $"temporary '{p}' left behind"));

        switch (code)
        {
            case 2:
                if (c.Expect == Expect.Succeed) v.Add(new(Broken.WrongOutcome, $"refused a valid input (expected exit 0: {c.Why})"));
                CheckErrorForm(c, so, se, v);
                foreach (var p in created.Where(p => !IsTemporary(p)))
                    v.Add(new(Broken.FileLeft, $"'{p}' left behind after the error"));
                break;
            case 0:
                if (c.Expect == Expect.Refuse) v.Add(new(Broken.WrongOutcome, $"exit 0, expected a refusal (exit 2): {c.Why}"));
                CheckOutputs(c, box, so, se, created, v);
                break;
        }
    }

    private static bool IsTemporary(string relPath)
    {
        string name = Path.GetFileName(relPath);
        if (name == Tangent.Experiments.Report.MarkerName) return false;   // the marker of a finished report folder, not debris
        return name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase)
            || name.Contains(".tmp-", StringComparison.OrdinalIgnoreCase) || name.Contains(".tmp.", StringComparison.OrdinalIgnoreCase);
    }

    private static void CheckErrorForm(CliCase c, string so, string se, List<Violation> v)
    {
        var lines = se.Replace("\r", "", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        if (se.Trim().Length == 0) v.Add(new(Broken.ErrorForm, "exit 2 with nothing on stderr"));
        else
        {
            if (!lines[0].StartsWith("error: ", StringComparison.Ordinal))
                v.Add(new(Broken.ErrorForm, $"the first stderr line does not start with 'error: ': '{Cut(lines[0])}'"));
            if (lines.Length > 2)
                v.Add(new(Broken.ErrorForm, $"{lines.Length} stderr lines (promised: one error line and at most one hint line)"));
        }
        if (so.Contains("Usage:", StringComparison.Ordinal) || se.Contains("Usage:", StringComparison.Ordinal))
            v.Add(new(Broken.ErrorForm, "the System.CommandLine help was dumped"));
        string first = lines.Length > 0 ? lines[0] : "";
        foreach (var group in c.MustMention)
            if (!group.Any(m => first.Contains(m, StringComparison.OrdinalIgnoreCase)))
                v.Add(new(Broken.Unnamed, $"the error line names none of [{string.Join(" | ", group)}]: '{Cut(first)}'"));
    }

    private static void CheckOutputs(CliCase c, CliSandbox box, string so, string se, List<string> created, List<Violation> v)
    {
        if (NaNWord(so)) v.Add(new(Broken.NonFiniteOutput, $"stdout reports NaN: {Excerpt(so)}"));
        if (c.CheckStdout?.Invoke(so) is { } problem) v.Add(new(Broken.NonFiniteOutput, problem));
        foreach (var o in c.Outputs)
        {
            string p = box.P(o.Name);
            if (o.IsDirectory)
            {
                if (!File.Exists(Path.Combine(p, "README.md"))) { v.Add(new(Broken.BadOutput, $"report folder '{o.Name}' has no README.md")); continue; }
                foreach (var csv in Directory.EnumerateFiles(p, "*.csv"))
                    if (Formats.NonFiniteTokens(File.ReadAllText(csv)) is > 0 and var n)
                        v.Add(new(Broken.NonFiniteOutput, $"report file '{Path.GetFileName(csv)}' holds {n} NaN/∞ values"));
                continue;
            }
            if (!File.Exists(p)) { v.Add(new(Broken.BadOutput, $"declared output '{o.Name}' is missing after exit 0")); continue; }
            string ext = Path.GetExtension(p).ToLowerInvariant();
            Formats.Read? m = ext switch
            {
                ".npy" => Formats.ReadNpy(File.ReadAllBytes(p)),
                ".csv" => Formats.ReadCsv(File.ReadAllText(p)),
                _ => null,
            };
            if (ext == ".png" && !File.ReadAllBytes(p).AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']))
                v.Add(new(Broken.BadOutput, $"'{o.Name}' is not a PNG"));
            if (m is null) continue;
            if (m.Problem is not null) { v.Add(new(Broken.BadOutput, $"'{o.Name}' cannot be read back: {m.Problem}")); continue; }
            if (m.NonFinite > 0)
                v.Add(new(Broken.NonFiniteOutput, $"'{o.Name}' ({m.Rows}×{m.Cols}) holds {m.NonFinite} NaN/±∞ values, e.g. {m.Values.First(x => !double.IsFinite(x))}"));
            if ((o.Rows is int r && r != m.Rows) || (o.Cols is int cc && cc != m.Cols))
                v.Add(new(Broken.BadOutput, $"'{o.Name}' is {m.Rows}×{m.Cols}, expected {o.Rows?.ToString() ?? "any"}×{o.Cols?.ToString() ?? "any"} (a row or column lost or invented)"));
        }
        var files = created.Where(p => File.Exists(Path.Combine(box.Root, p))).ToList();
        if (c.NewFileCount is int count && files.Count != count)
            v.Add(new(Broken.BadOutput, $"{files.Count} new files ({string.Join(", ", files.Select(Path.GetFileName))}), expected {count} (outputs overwrote each other?)"));
        else if (c.NewFileCount is null && c.Outputs.Length > 0)
        {
            var declared = c.Outputs.Select(o => Path.Combine("work", o.Name)).ToList();
            foreach (var p in files.Where(p => !IsTemporary(p) && !declared.Any(d => p == d || p.StartsWith(d + Path.DirectorySeparatorChar, StringComparison.Ordinal))))
                v.Add(new(Broken.BadOutput, $"undeclared new file '{p}'"));
        }
    }

    private static bool NaNWord(string s)
    {
        for (int i = s.IndexOf("NaN", StringComparison.Ordinal); i >= 0; i = s.IndexOf("NaN", i + 3, StringComparison.Ordinal))
        {
            bool left = i == 0 || !char.IsLetter(s[i - 1]);
            bool right = i + 3 >= s.Length || !char.IsLetter(s[i + 3]);
            if (left && right) return true;
        }
        return false;
    }

    private static string Cut(string s) => s.Length > 200 ? s[..200] + "…" : s;

    private static string Excerpt(string s)
    {
        var lines = s.Replace("\r", "", StringComparison.Ordinal).Split('\n').Where(l => l.Trim().Length > 0).Take(3).Select(Cut);
        return string.Join(" ⏎ ", lines);
    }
}
