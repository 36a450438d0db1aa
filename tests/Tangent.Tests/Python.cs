using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tangent.Numerics;

namespace Tangent.Tests;

/// <summary>Runs cross-check scripts with the system's python3 (numpy, scikit-learn) when present.</summary>
internal static class Python
{
    private static readonly Lazy<string?> Interpreter = new(() =>
    {
        foreach (var p in new[] { "/usr/bin/python3", "python3" })
            try
            {
                if (Run(p, "import numpy, sklearn; print('ok')", "", out var output) && output.Trim() == "ok") return p;
            }
            catch (System.ComponentModel.Win32Exception) { }
        return null;
    });

    /// <summary>Path of a python3 with numpy and scikit-learn, or null.</summary>
    public static string? WithSklearn => Interpreter.Value;

    public const string SkipMessage = "python3 with numpy and scikit-learn is not installed (Debian: apt-get install python3-sklearn); cross-check skipped.";

    /// <summary>Serialises matrices as "name rows cols v v v ..." lines for the script's stdin.</summary>
    public static string Encode(params (string Name, Matrix M)[] items)
    {
        var sb = new StringBuilder();
        foreach (var (name, m) in items)
        {
            sb.Append(name).Append(' ').Append(m.Rows).Append(' ').Append(m.Cols);
            foreach (double v in m.Data) sb.Append(' ').Append(v.ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Python prelude that reads the encoded matrices into a dict M.</summary>
    public const string Prelude = """
        import sys, numpy as np
        M = {}
        for line in sys.stdin:
            parts = line.split()
            if not parts: continue
            r, c = int(parts[1]), int(parts[2])
            M[parts[0]] = np.array([float(v) for v in parts[3:]], dtype=np.float64).reshape(r, c)
        def emit(a):
            a = np.atleast_2d(np.asarray(a, dtype=np.float64))
            print(a.shape[0], a.shape[1], ' '.join(repr(float(v)) for v in a.ravel()))
        """;

    /// <summary>Runs a script; returns the matrix it emits.</summary>
    public static Matrix Evaluate(string script, string input)
    {
        string py = WithSklearn ?? throw new InvalidOperationException(SkipMessage);
        string code = Prelude.Replace("\r", "") + "\n" + script;
        if (!Run(py, code, input, out var output)) throw new InvalidOperationException("python failed: " + output);
        var parts = output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int r = int.Parse(parts[0], CultureInfo.InvariantCulture), c = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var m = new Matrix(r, c);
        for (int i = 0; i < r * c; i++) m.Data[i] = double.Parse(parts[2 + i], CultureInfo.InvariantCulture);
        return m;
    }

    /// <summary>Runs <paramref name="code"/> with the interpreter <paramref name="py"/>, feeding <paramref name="input"/>; false with stderr when it fails.</summary>
    internal static bool Run(string py, string code, string input, out string output)
    {
        var file = Path.Combine(Path.GetTempPath(), $"tangent-xcheck-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, code);
        try
        {
            var psi = new ProcessStartInfo(py, file)
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardInput.Write(input);
            p.StandardInput.Close();
            p.WaitForExit(120_000);
            output = p.ExitCode == 0 ? stdout.Result : stderr.Result;
            return p.ExitCode == 0;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
