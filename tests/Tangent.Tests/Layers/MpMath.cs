namespace Tangent.Tests.Layers;

/// <summary>Runs high-precision reference scripts with the system's python3 and mpmath (Debian: python3-mpmath) when present.</summary>
internal static class MpMath
{
    private static readonly Lazy<string?> Interpreter = new(() =>
    {
        foreach (var p in new[] { "/usr/bin/python3", "python3" })
            try
            {
                if (TryRun(p, "import mpmath; print('ok')", "", out var o) && o.Trim() == "ok") return p;
            }
            catch (System.ComponentModel.Win32Exception) { }
        return null;
    });

    /// <summary>Path of a python3 that imports mpmath, or null.</summary>
    public static string? Python => Interpreter.Value;

    public const string SkipMessage = "python3 with mpmath is not installed (Debian: apt-get install python3-mpmath); the high-precision reference is skipped.";

    /// <summary>Runs a script with the given stdin; returns its stdout.</summary>
    public static string Run(string script, string input)
    {
        string py = Python ?? throw new InvalidOperationException(SkipMessage);
        if (!TryRun(py, script.Replace("\r", ""), input, out var output)) throw new InvalidOperationException("python failed: " + output);
        return output;
    }

    private static bool TryRun(string py, string code, string input, out string output) => Tangent.Tests.Python.Run(py, code, input, out output);
}
