using Tangent.Cli;

namespace Tangent.Tests.Cli;

/// <summary>Runs the command line in-process and checks the error form (docs/RELIABILITY.md).</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args) => Run(default, args);

    public static (int Code, string Out, string Err) Run(CancellationToken token, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = TangentCli.Run(args, o, e, token);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>
    /// Exactly one line starting "error: " and at most one "hint: " line after it, nothing else on stderr;
    /// no help text and no stack trace anywhere; returns the error line.
    /// </summary>
    public static string AssertErrorForm(string err, string output = "")
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length is 1 or 2, $"expected 1 or 2 lines on stderr, got {lines.Length}:\n{err}");
        Assert.StartsWith("error: ", lines[0]);
        if (lines.Length == 2) Assert.StartsWith("hint: ", lines[1]);
        foreach (string s in new[] { err, output })
        {
            Assert.DoesNotContain("Usage:", s);
            Assert.DoesNotContain("   at ", s);
            Assert.DoesNotContain("Actual value was", s);
        }
        return lines[0];
    }
}
